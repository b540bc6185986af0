using Serverless.Testing;

namespace Serverless.Auth.Tests.Infrastructure;

/// <summary>
/// One API with the default settings for all tests of a class (a class fixture): for suites that only
/// send requests. Tests in it use email addresses of their own (<see cref="Emails.Unique"/>), so they
/// never meet each other's accounts in the shared tables.
/// </summary>
public class SharedApi(AzuriteFixture azurite) : IAsyncLifetime
{
    private TestApi? api;

    public TestApi Api => api ?? throw new InvalidOperationException("The shared API has not started.");

    public async ValueTask InitializeAsync() => api = await azurite.StartApiAsync(Change);

    /// <summary>What a derived fixture changes in the default settings.</summary>
    protected virtual void Change(Dictionary<string, string?> settings)
    {
    }

    public async ValueTask DisposeAsync()
    {
        if (api is not null)
        {
            await api.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}

/// <summary>The shared API with its OpenAPI document and reference page served (<c>ApiReference__Enabled=true</c>, as npm start runs it).</summary>
public sealed class DocumentedApi(AzuriteFixture azurite) : SharedApi(azurite)
{
    protected override void Change(Dictionary<string, string?> settings) => settings["ApiReference:Enabled"] = "true";
}
