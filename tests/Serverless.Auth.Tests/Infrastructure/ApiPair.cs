using Serverless.Testing;

namespace Serverless.Auth.Tests.Infrastructure;

/// <summary>
/// Two API instances on the same tables and keys, as scaled-out Functions instances are, shared by all
/// tests of a class (a class fixture). Tests use addresses of their own, so they never meet.
/// </summary>
public abstract class ApiPair(AzuriteFixture azurite) : IAsyncLifetime
{
    private TestApi? first;
    private TestApi? second;

    public AzuriteFixture Azurite => azurite;

    public TestApi First => first ?? throw new InvalidOperationException("The API pair has not started.");

    public TestApi Second => second ?? throw new InvalidOperationException("The API pair has not started.");

    /// <summary>Changes both instances' settings before they start.</summary>
    protected abstract void Configure(Dictionary<string, string?> settings);

    public async ValueTask InitializeAsync()
    {
        var settings = TestApi.DefaultSettings(azurite.ConnectionString);
        Configure(settings);
        first = await TestApi.StartAsync(settings);
        second = await TestApi.StartAsync(settings);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var api in new[] { first, second })
        {
            if (api is not null)
            {
                await api.DisposeAsync();
            }
        }
    }
}
