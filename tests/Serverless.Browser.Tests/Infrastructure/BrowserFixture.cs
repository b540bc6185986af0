using Microsoft.Playwright;
using Serverless.Browser.Tests.Infrastructure;
using Serverless.Testing;

[assembly: AssemblyFixture(typeof(BrowserFixture))]

namespace Serverless.Browser.Tests.Infrastructure;

/// <summary>
/// Shared by the whole run: one Azurite, one maildev (the APIs' SMTP server; tests tell their mail apart by
/// address), one static server for the demo page, one Playwright driver with one headless Chromium
/// (Debian's, never a downloaded one). Tests take a fresh browser context each.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string DefaultChromium = "/usr/bin/chromium";

    /// <summary>Bounded waits: generous for a 2-core CI machine, short enough to fail instead of hang.</summary>
    public const float ActionTimeoutMs = 30_000;

    private AzuriteProcess? azurite;
    private MaildevProcess? maildev;
    private IPlaywright? playwright;
    private IBrowser? browser;
    private DemoSite? demo;

    public string AzuriteConnectionString => (azurite ?? throw NotStarted()).ConnectionString;
    public MaildevProcess Maildev => maildev ?? throw NotStarted();
    public DemoSite Demo => demo ?? throw NotStarted();
    public IBrowser Browser => browser ?? throw NotStarted();

    public async ValueTask InitializeAsync()
    {
        var startAzurite = AzuriteProcess.StartNewAsync();
        var startMaildev = MaildevProcess.StartNewAsync();
        demo = await DemoSite.StartAsync();
        azurite = await startAzurite;
        maildev = await startMaildev;

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
        if (demo is not null)
        {
            await demo.DisposeAsync();
        }

        if (azurite is not null)
        {
            await azurite.DisposeAsync();
        }

        if (maildev is not null)
        {
            await maildev.DisposeAsync();
        }
    }

    private static InvalidOperationException NotStarted() => new("The browser fixture has not started.");
}
