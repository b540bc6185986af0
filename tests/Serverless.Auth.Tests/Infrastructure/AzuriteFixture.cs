using Microsoft.AspNetCore.Builder;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Testing;

[assembly: AssemblyFixture(typeof(AzuriteFixture))]

namespace Serverless.Auth.Tests.Infrastructure;

/// <summary>One real Azurite process for the whole test run; each API started on it gets tables of its own.</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private AzuriteProcess? azurite;

    public string ConnectionString => (azurite ?? throw new InvalidOperationException("Azurite not started")).ConnectionString;

    /// <summary><see cref="TestApi.DefaultSettings"/> on this Azurite, changed by <paramref name="change"/>.</summary>
    public Dictionary<string, string?> Settings(Action<Dictionary<string, string?>>? change = null)
    {
        var settings = TestApi.DefaultSettings(ConnectionString);
        change?.Invoke(settings);
        return settings;
    }

    /// <summary>An API of its own on this Azurite, for tests that need their own settings or a host to themselves.</summary>
    public Task<TestApi> StartApiAsync(Action<Dictionary<string, string?>>? change = null, Action<WebApplicationBuilder>? configure = null) =>
        TestApi.StartAsync(Settings(change), configure, cancellationToken: TestContext.Current.CancellationToken);

    public async ValueTask InitializeAsync() => azurite = await AzuriteProcess.StartNewAsync();

    public async ValueTask DisposeAsync()
    {
        if (azurite is not null)
        {
            await azurite.DisposeAsync();
        }
    }
}
