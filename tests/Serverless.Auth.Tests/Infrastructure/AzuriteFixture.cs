using Serverless.Auth.Tests.Infrastructure;
using Serverless.Testing;

[assembly: AssemblyFixture(typeof(AzuriteFixture))]

namespace Serverless.Auth.Tests.Infrastructure;

/// <summary>One real Azurite process for the whole test run; tests isolate themselves with unique tables.</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private AzuriteProcess? azurite;

    public string ConnectionString => (azurite ?? throw new InvalidOperationException("Azurite not started")).ConnectionString;

    public async ValueTask InitializeAsync() => azurite = await AzuriteProcess.StartNewAsync();

    public async ValueTask DisposeAsync()
    {
        if (azurite is not null)
        {
            await azurite.DisposeAsync();
        }
    }
}
