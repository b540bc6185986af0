using System.Globalization;
using Serverless.Testing;

namespace Serverless.Browser.Tests.Infrastructure;

/// <summary>How the API writes its cookie: the three settings a frontend developer gets wrong.</summary>
public sealed record CookieSettings(bool Secure, string SameSite, bool Partitioned)
{
    /// <summary>The local default: page and API both on localhost (same site), plain http.</summary>
    public static CookieSettings SameSiteLax { get; } = new(Secure: false, SameSite: "Lax", Partitioned: false);

    /// <summary>What a page on another site needs: SameSite=None; Secure; Partitioned (CHIPS).</summary>
    public static CookieSettings CrossSite { get; } = new(Secure: true, SameSite: "None", Partitioned: true);

    /// <summary>Secure: the cookie name gets the __Host- prefix (no Domain is configured).</summary>
    public string CookieName => Secure ? "__Host-auth" : "auth";

    /// <summary>Secure: the refresh cookie gets the __Secure- prefix (its Path=/api/auth rules out __Host-).</summary>
    public string RefreshCookieName => Secure ? "__Secure-refresh" : "refresh";
    public string DeviceCookieName => Secure ? "__Secure-device" : "device";
}

/// <summary>
/// The API as the browser tests need it: a <see cref="TestApi"/> on http://localhost:&lt;free port&gt;, with
/// its own tables and mail queue in the shared Azurite, allowing the demo site's same-site and cross-site origins
/// (not its foreign one), the cookie settings it was started with, and mail through the shared maildev with
/// links to the demo site's pages (/auth/confirm, /auth/reset, /auth/forgot).
/// </summary>
public sealed class ApiServer : IAsyncDisposable
{
    private readonly TestApi api;

    private ApiServer(TestApi api, CookieSettings cookie)
    {
        this.api = api;
        Cookie = cookie;
    }

    public string BaseUrl => api.BaseUrl;
    public CookieSettings Cookie { get; }

    /// <param name="overrides">Applied last, e.g. a short Auth:Jwt:LifetimeSeconds; a null value removes the setting.</param>
    public static async Task<ApiServer> StartAsync(BrowserFixture fixture, CookieSettings cookie, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var allowed = string.Join(',', fixture.Demo.SameSiteOrigin, fixture.Demo.CrossSiteOrigin);
        var api = await LocalhostPorts.RetryAsync(() =>
        {
            // localhost, not 127.0.0.1: the same-site and cross-site cases depend on the page's host.
            var baseUrl = "http://localhost:" + LocalhostPorts.Free().ToString(CultureInfo.InvariantCulture);
            var settings = TestApi.DefaultSettings(fixture.AzuriteConnectionString);
            settings["urls"] = baseUrl;
            settings["Auth:Jwt:Issuer"] = baseUrl;
            settings["Auth:Jwt:Audience"] = "demo";
            // The product default (30 min) is what the tests assert; pinned against a local.settings.json.
            settings["Auth:Jwt:LifetimeMinutes"] = "30";
            settings["Auth:Cookie:Name"] = "auth";
            settings["Auth:Cookie:Domain"] = "";
            settings["Auth:Cookie:Secure"] = cookie.Secure ? "true" : "false";
            settings["Auth:Cookie:SameSite"] = cookie.SameSite;
            settings["Auth:Cookie:Partitioned"] = cookie.Partitioned ? "true" : "false";
            settings["Auth:AllowedOrigins"] = allowed;
            settings["Host:CORS"] = allowed;
            settings["Host:CORSCredentials"] = "true";
            settings["Auth:Email:SmtpHost"] = "127.0.0.1";
            settings["Auth:Email:SmtpPort"] = fixture.Maildev.SmtpPort.ToString(CultureInfo.InvariantCulture);
            settings["Auth:Email:UseTls"] = "None";
            settings["Auth:Email:From"] = "Browser Tests <no-reply@localhost>";
            settings["Auth:Email:LinkBaseUrl"] = fixture.Demo.SameSiteOrigin + "/auth";
            foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
            {
                if (value is null)
                {
                    settings.Remove(key);
                }
                else
                {
                    settings[key] = value;
                }
            }

            return TestApi.StartAsync(settings, cancellationToken: TestContext.Current.CancellationToken);
        });
        return new ApiServer(api, cookie);
    }

    public ValueTask DisposeAsync() => api.DisposeAsync();
}
