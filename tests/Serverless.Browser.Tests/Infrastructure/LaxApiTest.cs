using Microsoft.Playwright;

namespace Serverless.Browser.Tests.Infrastructure;

/// <summary>
/// Per test: an API with the local setup's cookie (SameSite=Lax, Secure=false) and a fresh browser
/// context, so no test sees another's cookies.
/// </summary>
public abstract class LaxApiTest(BrowserFixture browser) : IAsyncLifetime
{
    protected BrowserFixture Browser => browser;

    protected ApiServer Api { get; private set; } = null!;

    protected IBrowserContext Context { get; private set; } = null!;

    /// <summary>Settings this test class's API gets on top of the local setup (see <see cref="ApiServer.StartAsync"/>).</summary>
    protected virtual IReadOnlyDictionary<string, string?>? ApiSettings => null;

    public async ValueTask InitializeAsync()
    {
        Api = await ApiServer.StartAsync(browser, CookieSettings.SameSiteLax, ApiSettings);
        Context = await browser.NewContextAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Context.CloseAsync();
        await Api.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
