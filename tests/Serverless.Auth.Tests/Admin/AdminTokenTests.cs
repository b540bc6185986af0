using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using Serverless.Auth.Http;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Admin;

/// <summary>
/// Who may call the admin API (issue 31): only a bearer access token from the configured admin issuer, for the configured
/// audience, signed (RS256 or ES256) by a key of its JWKS, unexpired, with the role in <c>roles</c>. Every other credential,
/// a user's own session included, is refused; cookies and the Origin header play no part.
/// </summary>
public sealed class AdminTokenTests(AdminHosts hosts) : IClassFixture<AdminHosts>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private TestApi Api => hosts.First;

    /// <summary>A user with a session on the API (its cookies and its own access token), shared by the tests it refuses.</summary>
    private async Task<(string UserId, string Email, SessionClient Browser)> UserAsync()
    {
        var member = await hosts.BystanderAsync();
        return (member.UserId, member.Email, member.Browser);
    }

    private static string CookieHeader(SessionClient browser) => string.Join("; ", browser.Cookies.Select(c => $"{c.Key}={c.Value}"));

    /// <summary>Each admin route once, with the token: find, get, the five actions, events.</summary>
    private static IEnumerable<(HttpMethod Method, string Path, object? Body)> Routes(string userId, string email) =>
    [
        (HttpMethod.Post, AdminHosts.Base + "/users/find", new { email }),
        (HttpMethod.Get, AdminHosts.UserPath(userId), null),
        (HttpMethod.Post, AdminHosts.UserPath(userId, "disable"), null),
        (HttpMethod.Post, AdminHosts.UserPath(userId, "enable"), null),
        (HttpMethod.Post, AdminHosts.UserPath(userId, "signout"), null),
        (HttpMethod.Post, AdminHosts.UserPath(userId, "resend-confirmation"), null),
        (HttpMethod.Post, AdminHosts.UserPath(userId, "delete"), null),
        (HttpMethod.Get, AdminHosts.Base + "/events", null),
    ];

    private static async Task AssertUnauthorizedAsync(HttpResponseMessage response, string what)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{what}: expected 401, got {(int)response.StatusCode}: {body}");
        await ResponseAssert.ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).ToString());
        Assert.DoesNotContain("code", JsonDocument.Parse(body).RootElement.EnumerateObject().Select(p => p.Name));
    }

    /// <summary>Nothing changed for the user: still enabled, still signed in.</summary>
    private async Task AssertUntouchedAsync(string userId, SessionClient browser)
    {
        var row = (await hosts.Users.GetEntityAsync<Azure.Data.Tables.TableEntity>(userId, "user", cancellationToken: Ct)).Value;
        Assert.NotEqual(true, row.GetBoolean("Disabled"));
        Assert.NotEqual(true, row.GetBoolean("Deleted"));
        Assert.Equal(HttpStatusCode.OK, (await browser.VerifyAsync()).StatusCode);
    }

    [Fact]
    public async Task NoTokenTheUsersOwnCookiesOrAccessTokenAreRefusedOnEveryRoute()
    {
        var (userId, email, browser) = await UserAsync();
        var cookies = CookieHeader(browser);
        var ownAccessToken = browser.Access!;

        foreach (var (method, path, body) in Routes(userId, email))
        {
            await AssertUnauthorizedAsync(await AdminHosts.SendAsync(Api, method, path, token: "", body), $"{method} {path} without a token");
            await AssertUnauthorizedAsync(await AdminHosts.SendAsync(Api, method, path, token: "", body, cookie: cookies), $"{method} {path} with the user's cookies");
            await AssertUnauthorizedAsync(await AdminHosts.SendAsync(Api, method, path, ownAccessToken, body), $"{method} {path} with the user's access token");
        }

        await AssertUntouchedAsync(userId, browser);
    }

    public static TheoryData<string> Forgeries =>
    [
        "another-issuer", "another-audience", "foreign-key", "foreign-key-under-a-known-kid", "alg-none", "hs256", "header-alg-lies",
        "expired", "no-exp", "not-yet-valid", "no-subject", "not-a-jwt", "two-authorization-headers", "basic-scheme",
    ];

    [Theory]
    [MemberData(nameof(Forgeries))]
    public async Task AForgedOrMisaddressedTokenIsRefusedWith401(string forgery)
    {
        var (userId, email, browser) = await UserAsync();
        var issuer = hosts.Issuer;
        var claims = hosts.Claims();
        var now = DateTimeOffset.UtcNow;
        var token = forgery switch
        {
            "another-issuer" => hosts.Token(With(claims, "iss", "https://login.microsoftonline.com/another-tenant/v2.0")),
            "another-audience" => hosts.Token(With(claims, "aud", "api://another-app")),
            "foreign-key" => hosts.Token(claims, issuer.ForeignKey),
            "foreign-key-under-a-known-kid" => hosts.Token(claims, issuer.ForeignKeyWithKnownKid),
            "alg-none" => RogueOidcProvider.UnsignedToken(claims),
            // HS256 keyed with the bytes of a secret an attacker might guess: refused whatever the key.
            "hs256" => hosts.Token(claims, new SigningCredentials(
                new SymmetricSecurityKey(Encoding.UTF8.GetBytes("an-hmac-key-of-at-least-32-bytes-long!!")) { KeyId = issuer.RsaKey.Key.KeyId }, SecurityAlgorithms.HmacSha256)),
            "header-alg-lies" => issuer.IdToken(claims, issuer.RsaKey, alg: SecurityAlgorithms.EcdsaSha256),
            "expired" => hosts.Token(With(With(claims, "iat", now.AddMinutes(-20).ToUnixTimeSeconds()), "exp", now.AddMinutes(-5).ToUnixTimeSeconds())),
            "no-exp" => hosts.Token(Without(claims, "exp")),
            "not-yet-valid" => hosts.Token(With(claims, "nbf", now.AddMinutes(10).ToUnixTimeSeconds())),
            "no-subject" => hosts.Token(Without(claims, "sub")),
            "not-a-jwt" => "not-a-jwt",
            _ => hosts.Token(claims),
        };

        HttpResponseMessage response;
        if (forgery is "two-authorization-headers" or "basic-scheme")
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, AdminHosts.UserPath(userId, "disable"));
            if (forgery == "two-authorization-headers")
            {
                request.Headers.TryAddWithoutValidation("Authorization", ["Bearer " + token, "Bearer " + token]);
            }
            else
            {
                request.Headers.TryAddWithoutValidation("Authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + token)));
            }

            response = await Api.SendAsync(request);
        }
        else
        {
            response = await hosts.ActAsync(Api, userId, "disable", token);
        }

        await AssertUnauthorizedAsync(response, forgery);
        await AssertUntouchedAsync(userId, browser);
        // The valid token does what the forged one could not: the refusal was the token's, not the request's.
        Assert.Equal(email, (await ResponseAssert.JsonAsync(await hosts.FindAsync(Api, email), HttpStatusCode.OK)).GetProperty("email").GetString());
    }

    /// <summary>The roles claim, comma-separated ("" an empty array); <c>(none)</c>: no roles claim at all.</summary>
    public static TheoryData<string> WrongRoles => ["(none)", "", "Auth.Reader", "auth.admin", "Auth.Admin ", "Auth.Admin.Extra,Admin"];

    [Theory]
    [MemberData(nameof(WrongRoles))]
    public async Task AValidTokenWithoutTheRoleIsForbiddenWithAdminRoleRequired(string roles)
    {
        var (userId, email, browser) = await UserAsync();
        var claims = hosts.Claims(roles: roles.Length == 0 ? [] : roles.Split(','));
        if (roles == "(none)")
        {
            claims.Remove("roles");
        }

        var token = hosts.Token(claims);

        foreach (var (method, path, body) in Routes(userId, email))
        {
            var response = await AdminHosts.SendAsync(Api, method, path, token, body);
            var problem = await ResponseAssert.ProblemAsync(response, HttpStatusCode.Forbidden);
            Assert.Equal("admin_role_required", problem.GetProperty("code").GetString());
            Assert.Contains("Auth.Admin", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        await AssertUntouchedAsync(userId, browser);
    }

    [Fact]
    public async Task TheRoleAmongOthersWithRs256OrEs256IsAnAdminAndNeitherOriginNorCookiesMatter()
    {
        var (email, userId, browser) = await Members.SignUpAsync(Api, "admin-token-origin");
        var rs256 = hosts.Token(hosts.Claims(roles: ["Auth.Reader", AdminHosts.Role]));
        var es256 = hosts.Token(hosts.Claims(), hosts.Issuer.EcKey);

        // No Origin header at all (a script or a CLI), or a cross-site one: admin routes do not check it (no cookie counts).
        var found = await ResponseAssert.JsonAsync(await hosts.FindAsync(Api, email, rs256), HttpStatusCode.OK);
        Assert.Equal(userId, found.GetProperty("userId").GetString());
        var crossSite = await AdminHosts.SendAsync(Api, HttpMethod.Post, AdminHosts.Base + "/users/find", es256, new { email }, origin: "https://evil.example");
        Assert.Equal(userId, (await ResponseAssert.JsonAsync(crossSite, HttpStatusCode.OK)).GetProperty("userId").GetString());
        // The same cross-site Origin on a cookie route is refused: that check exists, admin routes just do not need it.
        var logout = await browser.SendAsync(HttpMethod.Post, AuthApi.Logout.Path, origin: "https://evil.example");
        Assert.Equal("origin_not_allowed", (await ResponseAssert.ProblemAsync(logout, HttpStatusCode.Forbidden)).GetProperty("code").GetString());

        // The user's cookies next to the admin's token change nothing: the admin acts, not the user.
        var withCookies = await AdminHosts.SendAsync(Api, HttpMethod.Post, AdminHosts.UserPath(userId, "signout"), es256, cookie: CookieHeader(browser));
        Assert.Equal(HttpStatusCode.NoContent, withCookies.StatusCode);
        Assert.Empty(await AdminHosts.PartitionAsync(hosts.Sessions, userId));
    }

    [Fact]
    public async Task WithTheAdminApiOffEveryAdminRouteIsNotFoundWhateverTheToken()
    {
        await using var off = await hosts.Azurite.StartApiAsync();
        var browser = new SessionClient(off.Client);
        var email = Emails.Unique("admin-off");
        var userId = await browser.SignUpForUserIdAsync(email, AdminHosts.Password);

        foreach (var (method, path, body) in Routes(userId, email))
        {
            foreach (var token in new[] { "", hosts.Token(), browser.Access! })
            {
                var problem = await ResponseAssert.ProblemAsync(await AdminHosts.SendAsync(off, method, path, token, body), HttpStatusCode.NotFound);
                Assert.Contains("Auth__Admin__Authority", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            }
        }

        Assert.Equal(HttpStatusCode.OK, (await browser.VerifyAsync()).StatusCode);
    }

    /// <summary>
    /// Entra ID's v1 and v2 tokens differ in <c>iss</c> and <c>aud</c>: both lists accept each value listed, and a
    /// configured issuer list replaces the discovery document's issuer.
    /// </summary>
    [Fact]
    public async Task ConfiguredIssuerAndAudienceListsAcceptEachValueAndOnlyThose()
    {
        const string V2 = "https://login.microsoftonline.com/tenant-id/v2.0";
        const string V1 = "https://sts.windows.net/tenant-id/";
        await using var api = await hosts.Azurite.StartApiAsync(s =>
        {
            s["Auth:Admin:Authority"] = hosts.Issuer.Issuer + "/";
            s["Auth:Admin:Issuer"] = $"{V2} , {V1}";
            s["Auth:Admin:Audience"] = "client-id-guid,api://serverless-auth";
            s["Auth:Admin:Role"] = "Support.Admin";
        });
        var email = Emails.Unique("admin-lists");
        await new SessionClient(api.Client).SignUpForUserIdAsync(email, AdminHosts.Password);

        string TokenFor(string iss, string aud, string role = "Support.Admin") =>
            hosts.Token(With(With(hosts.Claims(roles: [role]), "iss", iss), "aud", aud));

        foreach (var (iss, aud) in new[] { (V2, "client-id-guid"), (V1, "api://serverless-auth") })
        {
            Assert.Equal(HttpStatusCode.OK, (await hosts.FindAsync(api, email, TokenFor(iss, aud))).StatusCode);
        }

        await AssertUnauthorizedAsync(await hosts.FindAsync(api, email, TokenFor(hosts.Issuer.Issuer, "client-id-guid")), "the discovery issuer, not listed");
        await AssertUnauthorizedAsync(await hosts.FindAsync(api, email, TokenFor(V2, AdminHosts.Audience)), "an audience not listed");
        var defaultRole = await hosts.FindAsync(api, email, TokenFor(V2, "client-id-guid", AdminHosts.Role));
        Assert.Equal("admin_role_required", (await ResponseAssert.ProblemAsync(defaultRole, HttpStatusCode.Forbidden)).GetProperty("code").GetString());
    }

    private static Dictionary<string, object> With(Dictionary<string, object> claims, string name, object value) => new(claims) { [name] = value };

    private static Dictionary<string, object> Without(Dictionary<string, object> claims, string name)
    {
        var copy = new Dictionary<string, object>(claims);
        copy.Remove(name);
        return copy;
    }
}
