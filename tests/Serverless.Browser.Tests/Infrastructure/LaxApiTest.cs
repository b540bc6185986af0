using Microsoft.Playwright;
using Serverless.Testing;

namespace Serverless.Browser.Tests.Infrastructure;

/// <summary>
/// The run's API with the local setup's cookie (SameSite=Lax, Secure=false), and per test a fresh browser
/// context, so no test sees another's cookies.
/// </summary>
public abstract class LaxApiTest(BrowserFixture browser) : IAsyncLifetime
{
    protected BrowserFixture Browser => browser;

    protected TestApi Api => browser.LaxApi;

    protected IBrowserContext Context { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Context = await browser.NewContextAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Context.CloseAsync();
        GC.SuppressFinalize(this);
    }
}
