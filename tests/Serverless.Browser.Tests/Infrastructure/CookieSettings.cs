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

    /// <summary>The cookie settings an API was started with (<see cref="ApplyTo"/>).</summary>
    public static CookieSettings Of(TestApi api) => new(
        bool.Parse(api.Settings["Auth:Cookie:Secure"]!),
        api.Settings["Auth:Cookie:SameSite"]!,
        bool.Parse(api.Settings["Auth:Cookie:Partitioned"]!));

    /// <summary>Writes these settings, under the plain name "auth" and without a Domain, into an API's settings.</summary>
    public void ApplyTo(IDictionary<string, string?> settings)
    {
        settings["Auth:Cookie:Name"] = "auth";
        settings["Auth:Cookie:Domain"] = "";
        settings["Auth:Cookie:Secure"] = Secure ? "true" : "false";
        settings["Auth:Cookie:SameSite"] = SameSite;
        settings["Auth:Cookie:Partitioned"] = Partitioned ? "true" : "false";
    }
}
