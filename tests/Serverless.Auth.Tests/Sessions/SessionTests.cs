using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using Serverless.Auth.Storage;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Sessions;

/// <summary>
/// Sessions through Serverless.Standalone on real Azurite: two cookies, refresh rotation with reuse
/// detection, sign-out everywhere, the session list, password change and account deletion. Two
/// instances share the tables, as scaled-out Functions instances do.
/// </summary>
public sealed class SessionTests(SessionTests.Instances instances) : IClassFixture<SessionTests.Instances>
{
    private const string Password = "plum-orchard-lantern-4821";
    private readonly AzuriteFixture azurite = instances.Azurite;
    private readonly TestApi api = instances.First;
    private readonly TestApi other = instances.Second;

    /// <summary>No grace: any reuse of a retired refresh token counts as theft (the grace window has its own tests).</summary>
    public sealed class Instances(AzuriteFixture azurite) : ApiPair(azurite)
    {
        protected override void Configure(Dictionary<string, string?> settings) => settings["Auth:Session:ReuseGraceSeconds"] = "0";
    }

    private static Task<List<TableEntity>> RowsAsync(TableClient table, string? filter = null) =>
        table.QueryAsync<TableEntity>(filter, cancellationToken: TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken).AsTask();

    private static string NewEmail() => $"s-{Guid.NewGuid():N}@example.com";

    private async Task<(SessionClient Browser, string Email)> SignedUpAsync(string? userAgent = null)
    {
        var email = NewEmail();
        var browser = new SessionClient(api.Client);
        Assert.Equal(HttpStatusCode.Created, (await browser.SignupAsync(email, Password)).StatusCode);
        if (userAgent is not null)
        {
            Assert.Equal(HttpStatusCode.OK, (await browser.LoginAsync(email, Password, userAgent: userAgent)).StatusCode);
        }

        return (browser, email);
    }

    private static async Task EventuallyUnauthorizedAsync(SessionClient browser, TimeSpan within)
    {
        var deadline = DateTimeOffset.UtcNow + within;
        HttpStatusCode status;
        do
        {
            status = (await browser.VerifyAsync()).StatusCode;
            if (status == HttpStatusCode.Unauthorized)
            {
                return;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        while (DateTimeOffset.UtcNow < deadline);

        Assert.Fail($"still {(int)status} after {within.TotalSeconds} s");
    }

    [Fact]
    public async Task LoginSetsAnAccessCookieForEveryPathAndARefreshCookieForTheAuthRoutesOnly()
    {
        var (browser, email) = await SignedUpAsync();

        var response = await browser.LoginAsync(email, Password);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var raw = response.Headers.GetValues("Set-Cookie").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(3, raw.Count);
        Assert.Matches("^auth=[A-Za-z0-9_.-]+; max-age=900; path=/; samesite=lax; httponly$", raw[0]);
        Assert.Matches("^device=[A-Za-z0-9_-]{22}\\.[0-9a-f-]{36}\\.[0-9]+\\.[A-Za-z0-9_-]{43}; max-age=15552000; path=/api/auth; samesite=lax; httponly$", raw[1]);
        Assert.Matches("^refresh=[0-9a-f-]{36}\\.[A-Za-z0-9_-]{22}\\.0\\.[A-Za-z0-9_-]{43}; max-age=1209[0-9]{3}; path=/api/auth; samesite=lax; httponly$", raw[2]);
    }

    [Fact]
    public async Task RememberFalseMakesBothCookiesBrowserSessionCookies()
    {
        var (browser, email) = await SignedUpAsync();

        var response = await browser.LoginAsync(email, Password, remember: false);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        foreach (var cookie in SessionClient.SetCookies(response).Where(c => c.Name != "device"))
        {
            Assert.Null(cookie.MaxAge);
            Assert.Null(cookie.Expires);
            Assert.True(cookie.HttpOnly);
        }

        // They stay browser-session cookies through a refresh.
        var refreshed = await browser.RefreshAsync();
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        Assert.All(SessionClient.SetCookies(refreshed), cookie => Assert.Null(cookie.MaxAge));
    }

    [Fact]
    public async Task RefreshRotatesBothCookiesAndTheChainGoesOn()
    {
        var (browser, email) = await SignedUpAsync();
        var first = browser.Refresh!;
        var firstAccess = browser.Access!;

        for (var i = 1; i <= 3; i++)
        {
            var response = await browser.RefreshAsync();
            var body = await ResponseAssert.JsonAsync(response, HttpStatusCode.OK);
            Assert.Equal(email, body.GetProperty("email").GetString());
            Assert.Contains($".{i}.", browser.Refresh, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, (await browser.VerifyAsync()).StatusCode);
        }

        Assert.NotEqual(first, browser.Refresh);
        Assert.NotEqual(firstAccess, browser.Access);
    }

    [Fact]
    public async Task TenConcurrentRefreshesWithOneTokenShareOneSuccessorAndLeaveOneChain()
    {
        var settings = TestApi.DefaultSettings(azurite.ConnectionString);
        foreach (var key in new[] { "Auth:Storage:UsersTable", "Auth:Storage:SessionsTable", "Auth:Storage:RevocationsTable", "Auth:Storage:LoginThrottleTable", "Auth:Jwt:SigningKey" })
        {
            settings[key] = api.Settings[key];
        }

        await using var graceful = await TestApi.StartAsync(WithGrace(settings), cancellationToken: TestContext.Current.CancellationToken);
        var email = NewEmail();
        var browser = new SessionClient(graceful.Client);
        Assert.Equal(HttpStatusCode.Created, (await browser.SignupAsync(email, Password)).StatusCode);
        var tabs = Enumerable.Range(0, 10).Select(_ => browser.CopyTo(graceful.Client)).ToList();

        var responses = await Task.WhenAll(tabs.Select(tab => tab.RefreshAsync()));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var successors = tabs.Select(t => t.Refresh).Distinct().ToList();
        var successor = Assert.Single(successors);
        Assert.Contains(".1.", successor, StringComparison.Ordinal);

        // Exactly one live chain: the stored session moved one generation, and the shared successor works.
        var userId = successor!.Split('.')[0];
        var rows = await RowsAsync(graceful.Service<AuthTables>().Sessions, TableClient.CreateQueryFilter($"PartitionKey eq {userId}"));
        Assert.Equal(1, Assert.Single(rows).GetInt32("Generation"));
        Assert.Equal(HttpStatusCode.OK, (await tabs[0].RefreshAsync()).StatusCode);
        Assert.Contains(".2.", tabs[0].Refresh, StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> WithGrace(Dictionary<string, string?> settings)
    {
        settings["Auth:Session:ReuseGraceSeconds"] = "10";
        return settings;
    }

    [Fact]
    public async Task ReuseOfARetiredRefreshTokenEndsTheWholeSessionOnEveryInstance()
    {
        var (victim, _) = await SignedUpAsync();
        var thief = victim.CopyTo(api.Client);
        var victimElsewhere = victim.CopyTo(other.Client);

        // The thief refreshes first; the victim's tab then presents the retired token.
        Assert.Equal(HttpStatusCode.OK, (await thief.RefreshAsync()).StatusCode);
        var reuse = await victim.RefreshAsync();

        await ResponseAssert.ProblemAsync(reuse, HttpStatusCode.Unauthorized);
        Assert.All(SessionClient.SetCookies(reuse), c => Assert.Equal(TimeSpan.Zero, c.MaxAge));
        await ResponseAssert.ProblemAsync(await thief.RefreshAsync(), HttpStatusCode.Unauthorized);

        // Both holders' access tokens die on the other instance too, within the revocation guarantee.
        var thiefElsewhere = thief.CopyTo(other.Client);
        await EventuallyUnauthorizedAsync(thiefElsewhere, TimeSpan.FromSeconds(2));
        await EventuallyUnauthorizedAsync(victimElsewhere, TimeSpan.FromSeconds(2));
    }

    [Theory]
    [InlineData("x")]
    [InlineData("unknown session of the same user")]
    public async Task AJunkOrUnknownDuplicateRefreshCookieDoesNotSwitchReuseDetectionOff(string duplicate)
    {
        var (victim, _) = await SignedUpAsync();
        var retired = victim.Refresh!;
        Assert.Equal(HttpStatusCode.OK, (await victim.RefreshAsync()).StatusCode);
        var userId = retired.Split('.')[0];
        var planted = duplicate == "x" ? "x" : Serverless.Auth.Sessions.RefreshToken.Start(userId, Serverless.Auth.Sessions.RefreshToken.NewSessionId()).ToString();

        // The thief sends the retired token beside a value that matches no session (a sibling subdomain can plant well-formed ones).
        var request = new HttpRequestMessage(HttpMethod.Post, Serverless.Auth.Http.AuthApi.Refresh.Path);
        request.Headers.Add("Cookie", $"refresh={retired}; refresh={planted}");
        await ResponseAssert.ProblemAsync(await other.Client.SendAsync(request, TestContext.Current.CancellationToken), HttpStatusCode.Unauthorized);

        // Reuse was detected all the same: the chain the victim holds has ended.
        await ResponseAssert.ProblemAsync(await victim.RefreshAsync(), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task AForgedTokenForALiveSessionIs401AndDoesNotEndTheSession()
    {
        var (victim, _) = await SignedUpAsync();
        var parts = victim.Refresh!.Split('.');
        foreach (var generation in new[] { "0", "1", "2" })
        {
            var forged = new SessionClient(other.Client);
            var request = new HttpRequestMessage(HttpMethod.Post, Serverless.Auth.Http.AuthApi.Refresh.Path);
            request.Headers.Add("Cookie", $"refresh={parts[0]}.{parts[1]}.{generation}.{Serverless.Auth.Sessions.RefreshToken.Start(parts[0], parts[1]).Secret}");

            await ResponseAssert.ProblemAsync(await other.Client.SendAsync(request, TestContext.Current.CancellationToken), HttpStatusCode.Unauthorized);
        }

        // Guessing ids cannot sign anyone out.
        Assert.Equal(HttpStatusCode.OK, (await victim.RefreshAsync()).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await victim.VerifyAsync()).StatusCode);
    }

    [Fact]
    public async Task MissingMalformedOrUnknownRefreshTokensGet401AndClearBothCookies()
    {
        foreach (var cookie in new[] { null, "garbage", "00000000-0000-0000-0000-000000000000.AAAAAAAAAAAAAAAAAAAAAA.0." + new string('A', 43), "x.y.1.z" })
        {
            var browser = new SessionClient(api.Client);
            var request = new HttpRequestMessage(HttpMethod.Post, Serverless.Auth.Http.AuthApi.Refresh.Path);
            if (cookie is not null)
            {
                request.Headers.Add("Cookie", "refresh=" + cookie);
            }

            var response = await api.Client.SendAsync(request, TestContext.Current.CancellationToken);

            await ResponseAssert.ProblemAsync(response, HttpStatusCode.Unauthorized);
            Assert.Equal(["auth", "refresh"], SessionClient.SetCookies(response).Select(c => c.Name.ToString()).Order());
            Assert.All(SessionClient.SetCookies(response), c => Assert.Equal(TimeSpan.Zero, c.MaxAge));
            Assert.Equal("/api/auth", SessionClient.Cookie(response, "refresh").Path.ToString());
        }
    }

    [Fact]
    public async Task RefreshFromAForeignOriginIsRefused()
    {
        var (browser, _) = await SignedUpAsync();

        var response = await browser.SendAsync(HttpMethod.Post, Serverless.Auth.Http.AuthApi.Refresh.Path, origin: "https://evil.example");

        await ResponseAssert.ProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.OK, (await browser.RefreshAsync()).StatusCode);
    }

    [Fact]
    public async Task LogoutEndsTheRefreshSessionAndClearsBothCookies()
    {
        var (browser, _) = await SignedUpAsync();
        var copy = browser.CopyTo(other.Client);

        var response = await browser.LogoutAsync();

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(["auth", "refresh"], SessionClient.SetCookies(response).Select(c => c.Name.ToString()).Order());
        await ResponseAssert.ProblemAsync(await copy.RefreshAsync(), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task LogoutAllEndsEverySessionOfTheUserOnEveryInstance()
    {
        var (laptop, email) = await SignedUpAsync();
        var phone = new SessionClient(other.Client);
        Assert.Equal(HttpStatusCode.OK, (await phone.LoginAsync(email, Password)).StatusCode);
        var (bystander, _) = await SignedUpAsync();

        var response = await laptop.LogoutAllAsync();

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(["device"], laptop.Cookies.Keys);
        await EventuallyUnauthorizedAsync(phone, TimeSpan.FromSeconds(2));
        await ResponseAssert.ProblemAsync(await phone.RefreshAsync(), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await bystander.VerifyAsync()).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await bystander.RefreshAsync()).StatusCode);
    }

    [Fact]
    public async Task LogoutAllWithoutASessionIs401()
    {
        await ResponseAssert.ProblemAsync(await new SessionClient(api.Client).LogoutAllAsync(), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task SessionListShowsOnlyTheCallersLiveSessionsNewestFirst()
    {
        var (browser, email) = await SignedUpAsync();
        var phone = new SessionClient(api.Client);
        Assert.Equal(HttpStatusCode.OK, (await phone.LoginAsync(email, Password, userAgent: "PhoneBrowser/1.0")).StatusCode);
        var (stranger, _) = await SignedUpAsync();

        var body = await ResponseAssert.JsonAsync(await phone.SessionsAsync(), HttpStatusCode.OK);

        var sessions = body.EnumerateArray().ToList();
        Assert.Equal(2, sessions.Count);
        Assert.True(sessions[0].GetProperty("current").GetBoolean());
        Assert.Equal("PhoneBrowser/1.0", sessions[0].GetProperty("userAgent").GetString());
        Assert.False(sessions[1].GetProperty("current").GetBoolean());
        Assert.True(sessions[0].GetProperty("createdAt").GetDateTimeOffset() >= sessions[1].GetProperty("createdAt").GetDateTimeOffset());
        foreach (var s in sessions)
        {
            Assert.Equal(["createdAt", "current", "expiresAt", "lastUsedAt", "sessionId", "userAgent"], s.EnumerateObject().Select(p => p.Name).Order());
            Assert.True(s.GetProperty("expiresAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddDays(13));
        }

        var strangers = await ResponseAssert.JsonAsync(await stranger.SessionsAsync(), HttpStatusCode.OK);
        Assert.Single(strangers.EnumerateArray());
        Assert.DoesNotContain(strangers.EnumerateArray(), s => sessions.Any(mine => mine.GetProperty("sessionId").GetString() == s.GetProperty("sessionId").GetString()));
        Assert.Equal(HttpStatusCode.Unauthorized, (await new SessionClient(api.Client).SessionsAsync()).StatusCode);
    }

    [Fact]
    public async Task RevokingASessionEndsItAnd404sForSomeoneElsesId()
    {
        var (laptop, email) = await SignedUpAsync();
        var phone = new SessionClient(api.Client);
        Assert.Equal(HttpStatusCode.OK, (await phone.LoginAsync(email, Password)).StatusCode);
        var (stranger, _) = await SignedUpAsync();
        var strangerSession = (await ResponseAssert.JsonAsync(await stranger.SessionsAsync(), HttpStatusCode.OK))[0].GetProperty("sessionId").GetString()!;
        var phoneSession = SessionIdOf(phone);

        await ResponseAssert.ProblemAsync(await laptop.RevokeSessionAsync(strangerSession), HttpStatusCode.NotFound);
        await ResponseAssert.ProblemAsync(await laptop.RevokeSessionAsync("not a session id"), HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, (await stranger.RefreshAsync()).StatusCode);

        var revoked = await laptop.RevokeSessionAsync(phoneSession);

        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        Assert.False(revoked.Headers.Contains("Set-Cookie"));
        await ResponseAssert.ProblemAsync(await phone.VerifyAsync(), HttpStatusCode.Unauthorized);
        await ResponseAssert.ProblemAsync(await phone.RefreshAsync(), HttpStatusCode.Unauthorized);
        await ResponseAssert.ProblemAsync(await laptop.RevokeSessionAsync(phoneSession), HttpStatusCode.NotFound);

        // Ending the current session clears the cookies.
        var own = await laptop.RevokeSessionAsync(SessionIdOf(laptop));
        Assert.Equal(HttpStatusCode.NoContent, own.StatusCode);
        Assert.Equal(["device"], laptop.Cookies.Keys);
    }

    private static string SessionIdOf(SessionClient browser) => browser.Refresh!.Split('.')[1];

    [Fact]
    public async Task PasswordChangeEndsEverySessionAndGivesThisBrowserANewOne()
    {
        var (laptop, email) = await SignedUpAsync();
        var phone = new SessionClient(other.Client);
        Assert.Equal(HttpStatusCode.OK, (await phone.LoginAsync(email, Password)).StatusCode);
        const string NewPassword = "copper-heron-glacier-9917";

        var wrong = await ResponseAssert.ProblemAsync(await laptop.ChangePasswordAsync("not my password at all", NewPassword), HttpStatusCode.BadRequest);
        Assert.Equal("The current password is incorrect.", wrong.GetProperty("errors").GetProperty("currentPassword")[0].GetString());
        var weak = await ResponseAssert.ProblemAsync(await laptop.ChangePasswordAsync(Password, "password"), HttpStatusCode.BadRequest);
        Assert.True(weak.GetProperty("errors").TryGetProperty("newPassword", out _));
        var missing = await ResponseAssert.ProblemAsync(await laptop.ChangePasswordAsync(Password, ""), HttpStatusCode.BadRequest);
        Assert.Equal("New password is required.", missing.GetProperty("errors").GetProperty("newPassword")[0].GetString());

        var changed = await laptop.ChangePasswordAsync(Password, NewPassword);

        var body = await ResponseAssert.JsonAsync(changed, HttpStatusCode.OK);
        Assert.Equal(email, body.GetProperty("email").GetString());
        Assert.Equal(["auth", "device", "refresh"], SessionClient.SetCookies(changed).Select(c => c.Name.ToString()).Order());
        Assert.Equal(HttpStatusCode.OK, (await laptop.VerifyAsync()).StatusCode);
        var list = await ResponseAssert.JsonAsync(await laptop.SessionsAsync(), HttpStatusCode.OK);
        Assert.Equal(body.GetProperty("userId").GetString(), (await ResponseAssert.JsonAsync(await laptop.VerifyAsync(), HttpStatusCode.OK)).GetProperty("userId").GetString());
        Assert.True(Assert.Single(list.EnumerateArray()).GetProperty("current").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, (await laptop.RefreshAsync()).StatusCode);
        await EventuallyUnauthorizedAsync(phone, TimeSpan.FromSeconds(2));
        await ResponseAssert.ProblemAsync(await phone.RefreshAsync(), HttpStatusCode.Unauthorized);
        await ResponseAssert.ProblemAsync(await new SessionClient(api.Client).LoginAsync(email, Password), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await new SessionClient(api.Client).LoginAsync(email, NewPassword)).StatusCode);
    }

    [Fact]
    public async Task AccountDeletionRemovesTheUserItsSessionsAndThrottleStateAndFreesTheEmail()
    {
        var (laptop, email) = await SignedUpAsync();
        var phone = new SessionClient(other.Client);
        Assert.Equal(HttpStatusCode.OK, (await phone.LoginAsync(email, Password)).StatusCode);
        var userId = laptop.Refresh!.Split('.')[0];

        var wrong = await ResponseAssert.ProblemAsync(await laptop.DeleteAccountAsync("not my password at all"), HttpStatusCode.BadRequest);
        Assert.Equal("The password is incorrect.", wrong.GetProperty("errors").GetProperty("password")[0].GetString());
        var tables = api.Service<AuthTables>();
        Assert.NotEmpty(await RowsAsync(tables.LoginThrottle));

        var deleted = await laptop.DeleteAccountAsync(Password);

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(["device"], laptop.Cookies.Keys);
        Assert.Empty(await RowsAsync(tables.Users, TableClient.CreateQueryFilter($"UserId eq {userId}")));
        Assert.Empty(await RowsAsync(tables.Sessions, TableClient.CreateQueryFilter($"PartitionKey eq {userId}")));
        Assert.DoesNotContain(await RowsAsync(tables.LoginThrottle),
            row => row.PartitionKey == Serverless.Auth.Accounts.EmailAddress.StorageKey(email));
        await EventuallyUnauthorizedAsync(phone, TimeSpan.FromSeconds(2));
        await ResponseAssert.ProblemAsync(await phone.RefreshAsync(), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.Created, (await new SessionClient(api.Client).SignupAsync(email, Password)).StatusCode);
    }

    [Fact]
    public async Task WrongPasswordsOnChangeAndDeleteCountTowardTheAccountBackoff()
    {
        var (browser, _) = await SignedUpAsync();

        HttpResponseMessage last = null!;
        for (var i = 0; i < 8; i++)
        {
            last = await browser.DeleteAccountAsync("not my password at all");
        }

        await ResponseAssert.ProblemAsync(last, HttpStatusCode.TooManyRequests);
        Assert.True(last.Headers.RetryAfter is not null);
        // Throttled means not even the right password is checked.
        await ResponseAssert.ProblemAsync(await browser.ChangePasswordAsync(Password, "copper-heron-glacier-9917"), HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task BodiesThatAreNotJsonAreRefusedBeforeAnythingHappens()
    {
        var (browser, _) = await SignedUpAsync();
        using var form = new HttpRequestMessage(HttpMethod.Post, Serverless.Auth.Http.AuthApi.Refresh.Path)
        {
            Content = new StringContent("a=b", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        form.Headers.Add("Cookie", "refresh=" + browser.Refresh);

        await ResponseAssert.ProblemAsync(await api.Client.SendAsync(form, TestContext.Current.CancellationToken), HttpStatusCode.UnsupportedMediaType);
        Assert.Equal(HttpStatusCode.OK, (await browser.RefreshAsync()).StatusCode);

        var malformed = await browser.SendAsync(HttpMethod.Post, Serverless.Auth.Http.AuthApi.RevokeSession.Path, JsonDocument.Parse("[1]").RootElement);
        await ResponseAssert.ProblemAsync(malformed, HttpStatusCode.BadRequest);
    }
}
