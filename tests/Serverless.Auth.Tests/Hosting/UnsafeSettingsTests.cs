using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Serverless.Auth.Cookies;
using Serverless.Auth.Http;
using Serverless.Auth.Secrets;
using Serverless.Auth.Throttling;
using Serverless.Auth.Tokens;
using Serverless.Standalone;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Hosting;

/// <summary>Issue 13, defect 7: start-up refuses unsafe settings, naming the setting. Validators are called directly.</summary>
public sealed class UnsafeSettingsTests
{
    private static readonly DeploymentEnvironment Production = new(RunningInAzure: false, IsDevelopment: false);
    private static readonly DeploymentEnvironment Development = new(RunningInAzure: false, IsDevelopment: true);
    private static readonly DeploymentEnvironment Azure = new(RunningInAzure: true, IsDevelopment: false);

    private static string RandomKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private static string Sample(string key) => LocalSettings.Read(RepoPaths.Combine("local.settings.sample.json"))[key]!;

    private static void AssertRefused(ValidateOptionsResult result, string setting)
    {
        Assert.True(result.Failed, "expected a refusal naming " + setting);
        Assert.Contains(setting, result.FailureMessage, StringComparison.Ordinal);
    }

    public static TheoryData<string> LowEntropyKeys => new()
    {
        Convert.ToBase64String(new byte[32]),
        Convert.ToBase64String(Enumerable.Repeat((byte)'a', 48).ToArray()),
        Convert.ToBase64String(Encoding.ASCII.GetBytes("abcabcabcabcabcabcabcabcabcabcabcabc")),
        Convert.ToBase64String(Encoding.ASCII.GetBytes("0123456789abcdef0123456789abcdef")),
        Convert.ToBase64String(Encoding.ASCII.GetBytes("aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbcccc")),
    };

    [Theory]
    [MemberData(nameof(LowEntropyKeys))]
    public void LowEntropySigningKeyIsRefused(string key)
    {
        var single = new JwtOptionsValidator(Production).Validate(null, new JwtOptions { Issuer = "i", Audience = "a", SigningKey = key });
        AssertRefused(single, "Auth__Jwt__SigningKey holds a low-entropy key");

        var list = new JwtOptionsValidator(Production).Validate(null, new JwtOptions { Issuer = "i", Audience = "a", SigningKeys = $"k2:{RandomKey()};k1:{key}" });
        AssertRefused(list, "Auth__Jwt__SigningKeys holds a low-entropy key");

        Assert.True(new JwtOptionsValidator(Production).Validate(null, new JwtOptions { Issuer = "i", Audience = "a", SigningKeys = $"k2:{RandomKey()};k1:{RandomKey()}" }).Succeeded);
    }

    [Theory]
    [MemberData(nameof(LowEntropyKeys))]
    public void LowEntropyServerKeyIsRefused(string key)
    {
        var result = new ServerSecretOptionsValidator(Production).Validate(null, new ServerSecretOptions { ServerKey = $"new:{RandomKey()};{key}" });
        AssertRefused(result, "Auth__Secrets__ServerKey holds a low-entropy key");

        Assert.True(new ServerSecretOptionsValidator(Production).Validate(null, new ServerSecretOptions { ServerKey = $"new:{RandomKey()};{RandomKey()}" }).Succeeded);
    }

    [Fact]
    public void SampleSigningKeyIsRefusedOutsideDevelopment()
    {
        var options = new JwtOptions { Issuer = "i", Audience = "a", SigningKey = Sample("Auth:Jwt:SigningKey") };

        AssertRefused(new JwtOptionsValidator(Production).Validate(null, options), "Auth__Jwt__SigningKey holds the local-only key");
        AssertRefused(new JwtOptionsValidator(Azure).Validate(null, options), "Auth__Jwt__SigningKey holds the local-only key");
        Assert.True(new JwtOptionsValidator(Development).Validate(null, options).Succeeded);

        var rotated = new JwtOptions { Issuer = "i", Audience = "a", SigningKeys = $"new:{RandomKey()};{Sample("Auth:Jwt:SigningKey")}" };
        AssertRefused(new JwtOptionsValidator(Production).Validate(null, rotated), "Auth__Jwt__SigningKeys holds the local-only key");
    }

    [Fact]
    public void SampleServerKeyIsRefusedOutsideDevelopment()
    {
        var options = new ServerSecretOptions { ServerKey = Sample("Auth:Secrets:ServerKey") };

        AssertRefused(new ServerSecretOptionsValidator(Production).Validate(null, options), "Auth__Secrets__ServerKey holds the local-only key");
        AssertRefused(new ServerSecretOptionsValidator(Azure).Validate(null, options), "Auth__Secrets__ServerKey holds the local-only key");
        Assert.True(new ServerSecretOptionsValidator(Development).Validate(null, options).Succeeded);
    }

    [Fact]
    public void TheSampleSettingsDeclareDevelopmentForFuncStartAndNpmStartSetsIt()
    {
        Assert.Equal("Development", LocalSettings.Read(RepoPaths.Combine("local.settings.sample.json"))["AZURE_FUNCTIONS_ENVIRONMENT"]);
        Assert.Contains("ASPNETCORE_ENVIRONMENT: 'Development', ...process.env", File.ReadAllText(RepoPaths.Combine(".ci", "start.mjs")), StringComparison.Ordinal);
    }

    [Fact]
    public void InsecureCookieIsRefusedInAzureOnly()
    {
        var options = new AuthCookieOptions { Secure = false };

        AssertRefused(new AuthCookieOptionsValidator(Azure).Validate(null, options), "Auth__Cookie__Secure=false");
        Assert.True(new AuthCookieOptionsValidator(Production).Validate(null, options).Succeeded);
        Assert.True(new AuthCookieOptionsValidator(Azure).Validate(null, new AuthCookieOptions()).Succeeded);
    }

    [Theory]
    [InlineData("com", "example.com")]
    [InlineData(".COM", ".example.com")]
    [InlineData("co.uk", "api.example.co.uk")]
    [InlineData("azurewebsites.net", "myapp.azurewebsites.net")]
    [InlineData("github.io", "me.github.io")]
    [InlineData("localhost", "localhost.example.org")]
    [InlineData("anything.kawasaki.jp", "city.kawasaki.jp")]
    [InlineData("ck", "www.ck")]
    public void PublicSuffixCookieDomainIsRefused(string publicSuffix, string registrable)
    {
        AssertRefused(new AuthCookieOptionsValidator(Production).Validate(null, new AuthCookieOptions { Domain = publicSuffix }), "Auth__Cookie__Domain '" + publicSuffix + "' is a public suffix");
        Assert.True(new AuthCookieOptionsValidator(Production).Validate(null, new AuthCookieOptions { Domain = registrable }).Succeeded);
        Assert.Equal(9776, PublicSuffixes.Count);
    }

    [Theory]
    [InlineData("0.0.0.0/0", "127.0.0.0/8, ::1")]
    [InlineData("::/0", "10.0.0.0/8")]
    [InlineData("0.0.0.0/1", "172.16.0.0/12, 192.168.0.0/16")]
    [InlineData("10.0.0.0/7", "100.64.0.0/10")]
    [InlineData("1.0.0.0/8", "104.16.0.0/13")]
    [InlineData("52.0.0.0/10", "203.0.113.7")]
    [InlineData("2000::/3", "2a06:98c0::/29, 2400:cb00::/32")]
    [InlineData("2a00::/12", "fc00::/7, fe80::/10")]
    [InlineData("::ffff:0.0.0.0/96", "::ffff:10.0.0.0/104")]
    [InlineData("::/64", "2001:db8::/48")]
    public void TrustedProxyRangeCoveringPublicSpaceIsRefused(string range, string narrow)
    {
        var result = new ThrottlingOptionsValidator().Validate(null, new ThrottlingOptions { TrustedProxies = "10.1.2.3, " + range });
        AssertRefused(result, "Auth__Throttling__TrustedProxies lists '" + range + "'");
        var accepted = new ThrottlingOptionsValidator().Validate(null, new ThrottlingOptions { TrustedProxies = narrow });
        Assert.True(accepted.Succeeded, accepted.FailureMessage);
    }

    // Paths, trailing slashes and wildcard hosts (https://*.example) were refused already (Uri parses no '*'
    // host; StartupValidationTests); what got through was a trailing dot and, in Host.CORS, a lone '*'.
    [Theory]
    [InlineData("https://a.example.")]
    [InlineData("http://localhost.:5173")]
    public void AllowedOriginWithATrailingDotIsRefused(string origin)
    {
        var result = new RequestOriginOptionsValidator().Validate(null, new RequestOriginOptions { AllowedOrigins = "http://localhost:5173," + origin });
        AssertRefused(result, "Auth__AllowedOrigins must list origins");
        Assert.EndsWith("not: " + origin, result.FailureMessage, StringComparison.Ordinal);

        var cors = new HostCorsOptionsValidator().Validate(null, new HostCorsOptions { CORS = "http://localhost:5173," + origin, CORSCredentials = true });
        AssertRefused(cors, "Host.CORS has entries that are not origins");
        Assert.EndsWith(": " + origin, cors.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void HostCorsWildcardIsRefusedAlsoWithoutCredentials()
    {
        AssertRefused(new HostCorsOptionsValidator().Validate(null, new HostCorsOptions { CORS = "*", CORSCredentials = false }), "Host.CORS contains '*'");
        AssertRefused(new HostCorsOptionsValidator().Validate(null, new HostCorsOptions { CORS = "http://localhost:5173, *" }), "Host.CORS contains '*'");
        Assert.True(new HostCorsOptionsValidator().Validate(null, new HostCorsOptions { CORS = "http://localhost:5173, https://a.example:8443" }).Succeeded);
    }
}
