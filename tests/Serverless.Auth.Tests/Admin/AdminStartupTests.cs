using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Serverless.Auth.Admin;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Tests.Admin;

/// <summary>
/// An admin configuration that would let the wrong tokens in is refused at start-up, with a message naming the setting
/// (issue 31): this service's own issuer as the admin issuer (a user's session token would pass as an admin's), an
/// authority over plain http off loopback, or an authority without an audience.
/// </summary>
public sealed class AdminStartupTests(AzuriteFixture azurite)
{
    /// <summary>The settings' own issuer is <c>https://api.test</c> (TestApi.DefaultSettings).</summary>
    public static TheoryData<string?, string?, string?, string> Refused => new()
    {
        { "https://api.test", "api://admin", null, "Auth__Admin__Authority and Auth__Admin__Issuer must not be this service's own issuer (Auth__Jwt__Issuer)" },
        { "HTTPS://API.TEST/", "api://admin", null, "Auth__Admin__Authority and Auth__Admin__Issuer must not be this service's own issuer (Auth__Jwt__Issuer)" },
        { "https://login.microsoftonline.com/tenant/v2.0", "api://admin", "https://login.microsoftonline.com/tenant/v2.0, https://api.test/", "Auth__Admin__Authority and Auth__Admin__Issuer must not be this service's own issuer" },
        { "http://login.example.com/tenant", "api://admin", null, "Auth__Admin__Authority must be an https URL" },
        { "http://10.0.0.5:8080", "api://admin", null, "Auth__Admin__Authority must be an https URL" },
        { "https://user:secret@login.example.com", "api://admin", null, "Auth__Admin__Authority must be an https URL" },
        { "not a url", "api://admin", null, "Auth__Admin__Authority must be an https URL" },
        { "https://login.example.com/tenant", null, null, "Auth__Admin__Audience is required with Auth__Admin__Authority" },
        { "https://login.example.com/tenant", " , ", null, "Auth__Admin__Audience is required with Auth__Admin__Authority" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void AnUnsafeAdminSettingIsRefusedNamingIt(string? authority, string? audience, string? issuer, string expected)
    {
        var failures = Failures(azurite.Settings(s => Admin(s, authority, audience, issuer)));

        Assert.Contains(failures, failure => failure.Contains(expected, StringComparison.Ordinal));
    }

    /// <summary>The validator runs at start-up: the host does not start, and the message reaches the developer.</summary>
    [Theory]
    [InlineData("https://api.test/", "api://admin", null, "must not be this service's own issuer (Auth__Jwt__Issuer)")]
    [InlineData("https://login.example.com/tenant", "api://admin", "https://api.test", "must not be this service's own issuer (Auth__Jwt__Issuer)")]
    [InlineData("http://login.example.com", "api://admin", null, "Auth__Admin__Authority must be an https URL")]
    [InlineData("https://login.example.com/tenant", null, null, "Auth__Admin__Audience is required with Auth__Admin__Authority")]
    public async Task AnUnsafeAdminSettingStopsTheHostNamingIt(string authority, string? audience, string? issuer, string expected)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => azurite.StartApiAsync(s => Admin(s, authority, audience, issuer)));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null, null)]
    [InlineData("", "api://admin", null)]
    [InlineData("https://login.microsoftonline.com/tenant/v2.0", "api://admin", "https://login.microsoftonline.com/tenant/v2.0,https://sts.windows.net/tenant/")]
    [InlineData("http://127.0.0.1:4011", "api://admin", null)]
    [InlineData("http://localhost:4011/", "client-id", null)]
    public void AnAdminApiOffOrOnAnotherIssuerIsAccepted(string? authority, string? audience, string? issuer) =>
        Assert.Empty(Failures(azurite.Settings(s => Admin(s, authority, audience, issuer))));

    [Fact]
    public void AnEmptyRoleIsRefusedNamingIt()
    {
        var failures = Failures(azurite.Settings(s =>
        {
            Admin(s, "https://login.example.com/tenant", "api://admin", null);
            s["Auth:Admin:Role"] = " ";
        }));

        Assert.Contains(failures, failure => failure.Contains("Auth__Admin__Role must not be empty", StringComparison.Ordinal));
    }

    private static void Admin(Dictionary<string, string?> settings, string? authority, string? audience, string? issuer)
    {
        settings["Auth:Admin:Authority"] = authority;
        settings["Auth:Admin:Audience"] = audience;
        settings["Auth:Admin:Issuer"] = issuer;
    }

    /// <summary>What start-up checks of the admin settings, without a host: the options bound as a host binds them, then the validator.</summary>
    private static List<string> Failures(IReadOnlyDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var admin = new AdminOptions();
        configuration.GetSection(AdminOptions.Section).Bind(admin);
        var jwt = new JwtOptions();
        configuration.GetSection("Auth:Jwt").Bind(jwt);
        var result = new AdminOptionsValidator(Options.Create(jwt)).Validate(Options.DefaultName, admin);
        return result.Failed ? [.. result.Failures ?? [result.FailureMessage]] : [];
    }
}
