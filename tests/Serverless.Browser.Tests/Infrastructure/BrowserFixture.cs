using System.Globalization;
using Microsoft.Playwright;
using Serverless.Browser.Tests.Infrastructure;
using Serverless.Testing;

[assembly: AssemblyFixture(typeof(BrowserFixture))]

namespace Serverless.Browser.Tests.Infrastructure;

/// <summary>
/// Shared by the whole run: one Azurite, one static server for the demo page, one API with the local
/// setup's cookie (<see cref="LaxApi"/>), one Playwright driver with one headless Chromium (Debian's, never a
/// downloaded one). Tests take a fresh browser context each, and accounts of their own.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string DefaultChromium = "/usr/bin/chromium";

    /// <summary>Bounded waits: generous for a 2-core CI machine, short enough to fail instead of hang.</summary>
    public const float ActionTimeoutMs = 30_000;

    private AzuriteProcess? azurite;
    private IPlaywright? playwright;
    private IBrowser? browser;
    private DemoSite? demo;
    private TestApi? laxApi;

    public string AzuriteConnectionString => (azurite ?? throw NotStarted()).ConnectionString;
    public DemoSite Demo => demo ?? throw NotStarted();
    public IBrowser Browser => browser ?? throw NotStarted();

    /// <summary>The local setup: SameSite=Lax, Secure=false, page and API on localhost. Shared: it only serves requests.</summary>
    public TestApi LaxApi => laxApi ?? throw NotStarted();

    public async ValueTask InitializeAsync()
    {
        var startAzurite = AzuriteProcess.StartNewAsync();
        demo = await DemoSite.StartAsync();
        azurite = await startAzurite;
        laxApi = await StartApiAsync(CookieSettings.SameSiteLax);

        var executable = Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } path ? path : DefaultChromium;
        if (!File.Exists(executable))
        {
            throw new InvalidOperationException($"{executable} is missing: install the Debian package 'chromium' (the README test command does). Do not run 'playwright install'.");
        }

        playwright = await Playwright.CreateAsync();
        browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            Timeout = 60_000,
            Args =
            [
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        });
    }

    /// <summary>
    /// An API on http://localhost:&lt;free port&gt; with its own tables in the shared Azurite, allowing the demo
    /// site's same-site and cross-site origins (not its foreign one), with the given cookie settings.
    /// </summary>
    public Task<TestApi> StartApiAsync(CookieSettings cookie)
    {
        var allowed = string.Join(',', Demo.SameSiteOrigin, Demo.CrossSiteOrigin);
        return LocalhostPorts.StartAsync(() =>
        {
            var baseUrl = "http://localhost:" + LocalhostPorts.Free().ToString(CultureInfo.InvariantCulture);
            var settings = TestApi.DefaultSettings(AzuriteConnectionString);
            settings["urls"] = baseUrl;
            settings["Auth:Jwt:Issuer"] = baseUrl;
            settings["Auth:Jwt:Audience"] = "demo";
            // The product default (30 min) is what the tests assert; pinned against a local.settings.json.
            settings["Auth:Jwt:LifetimeMinutes"] = "30";
            cookie.ApplyTo(settings);
            settings["Auth:AllowedOrigins"] = allowed;
            settings["Host:CORS"] = allowed;
            return TestApi.StartAsync(settings, cancellationToken: TestContext.Current.CancellationToken);
        });
    }

    /// <summary>A fresh cookie jar and cache: what a new browser profile would have.</summary>
    public async Task<IBrowserContext> NewContextAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1100, Height = 1200 },
        });
        context.SetDefaultTimeout(ActionTimeoutMs);
        context.SetDefaultNavigationTimeout(ActionTimeoutMs);
        return context;
    }

    public async ValueTask DisposeAsync()
    {
        if (browser is not null)
        {
            await browser.CloseAsync();
        }

        playwright?.Dispose();
        if (laxApi is not null)
        {
            await laxApi.DisposeAsync();
        }

        if (demo is not null)
        {
            await demo.DisposeAsync();
        }

        if (azurite is not null)
        {
            await azurite.DisposeAsync();
        }
    }

    private static InvalidOperationException NotStarted() => new("The browser fixture has not started.");
}
