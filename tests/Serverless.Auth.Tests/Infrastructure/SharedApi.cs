using Serverless.Testing;

namespace Serverless.Auth.Tests.Infrastructure;

/// <summary>
/// One API with the default settings for all tests of a class (a class fixture): for suites that only
/// send requests. Tests in it use email addresses of their own (<see cref="Emails.Unique"/>), so they
/// never meet each other's accounts in the shared tables.
/// </summary>
public sealed class SharedApi(AzuriteFixture azurite) : IAsyncLifetime
{
    private TestApi? api;

    public TestApi Api => api ?? throw new InvalidOperationException("The shared API has not started.");

    public async ValueTask InitializeAsync() => api = await azurite.StartApiAsync();

    public async ValueTask DisposeAsync()
    {
        if (api is not null)
        {
            await api.DisposeAsync();
        }
    }
}
