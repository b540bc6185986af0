using Serverless.Testing;

namespace Serverless.Auth.Tests.Infrastructure;

/// <summary>One maildev for a test class whose tests start hosts of their own (each test mails unique addresses).</summary>
public sealed class MaildevFixture : IAsyncLifetime
{
    private MaildevProcess? maildev;

    public MaildevProcess Maildev => maildev ?? throw new InvalidOperationException("maildev has not started.");

    public async ValueTask InitializeAsync() => maildev = await MaildevProcess.StartNewAsync();

    public async ValueTask DisposeAsync()
    {
        if (maildev is not null)
        {
            await maildev.DisposeAsync();
        }
    }
}
