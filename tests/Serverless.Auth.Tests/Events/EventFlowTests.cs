using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Auth.Email;
using Serverless.Auth.Events;
using Serverless.Auth.Http;
using Serverless.Auth.Tests.Email;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;
using static Serverless.Auth.Tests.Events.EventTestClients;

namespace Serverless.Auth.Tests.Events;

/// <summary>
/// Issue 31: each flow writes its event to the user's month table and the sharded fleet day table, read back from
/// Azurite: type, time, session, the client's address truncated, the User-Agent bounded, the outcome. Clients come
/// through a trusted proxy (loopback), so the addresses are the forwarded ones.
/// </summary>
public sealed class EventFlowTests(EventFlowTests.Host host) : IClassFixture<EventFlowTests.Host>, IDisposable
{
    private const string Password = "plum-orchard-lantern-4821";
    private const string NewPassword = "quartz-harbor-meadow-7390";
    private const string ResetPassword = "saffron-glacier-tundra-5163";
    private const string ClientIp = "203.0.113.77";
    private const string ClientPrefix = "203.0.113.0/24";
    // Three: an account's second-factor counter also holds the code that enabled TOTP until the next complete sign-in.
    private const int FreeFailures = 3;

    private readonly List<HttpClient> clients = [];
    private TestApi Api => host.Api;

    private EventTables Tables => host.Tables;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>One API for the class, with a mail sender of its own; its event tables are its own too.</summary>
    public sealed class Host(AzuriteFixture azurite) : IAsyncLifetime
    {
        private TestApi? api;

        public CapturingMailSender Mail { get; } = new();

        public TestApi Api => api ?? throw new InvalidOperationException("The API has not started.");

        public EventTables Tables { get; private set; } = null!;

        public async ValueTask InitializeAsync()
        {
            api = await azurite.StartApiAsync(
                s =>
                {
                    s["Auth:Throttling:TrustedProxies"] = "127.0.0.0/8, ::1";
                    s["Auth:Throttling:FreeFailures"] = FreeFailures.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    s["Auth:Throttling:BaseDelaySeconds"] = "60";
                    s["Auth:Email:MailCooldownSeconds"] = "0";
                    s["AzureFunctionsJobHost:extensions:queues:maxPollingInterval"] = "00:00:00.2";
                },
                builder => builder.Services.AddSingleton<IAuthMailSender>(Mail));
            Tables = new EventTables(azurite, api);
        }

        public async ValueTask DisposeAsync()
        {
            if (api is not null)
            {
                await api.DisposeAsync();
            }
        }
    }

    public void Dispose()
    {
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }

    /// <summary>A client behind the trusted proxy at <paramref name="forwardedFor"/>, sending <paramref name="userAgent"/> (none when null).</summary>
    private HttpClient From(string forwardedFor, string? userAgent)
    {
        var client = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = Api.BaseAddress };
        client.DefaultRequestHeaders.Add("X-Forwarded-For", forwardedFor);
        if (userAgent is not null)
        {
            Assert.True(client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", userAgent));
        }

        clients.Add(client);
        return client;
    }

    /// <summary>A User-Agent of this test's own, longer than the 256 characters an event keeps.</summary>
    private static string LongUserAgent(string name) => $"Mozilla/5.0 (EventFlowTests; {name}; {Guid.NewGuid():N}) " + new string('x', 300);

    private static string Kept(string userAgent) => userAgent[..AuthEvents.MaxUserAgentLength];

    private static IEnumerable<(string Type, string? SessionId, string? Detail, string Outcome)> Summary(IEnumerable<EventRow> rows) =>
        rows.Select(r => (r.Type, r.SessionId, r.Detail, r.Outcome));

    [Fact]
    public async Task SignupLoginsLogoutsRevocationReuseAndPasswordChangeAreEachStoredForTheUserAndTheFleet()
    {
        var userAgent = LongUserAgent("sessions");
        var http = From(ClientIp, userAgent);
        var before = DateTimeOffset.UtcNow;
        var email = Emails.Unique("ev-sessions");

        var browser = new SessionClient(http);
        var userId = await browser.SignUpForUserIdAsync(email, Password);
        var signupSession = SessionOf(browser);

        var laptop = new SessionClient(http);
        Assert.Equal(HttpStatusCode.OK, (await laptop.LoginAsync(email, Password)).StatusCode);
        var laptopSession = SessionOf(laptop);
        Assert.Equal(HttpStatusCode.NoContent, (await laptop.LogoutAsync()).StatusCode);

        var phone = new SessionClient(http);
        Assert.Equal(HttpStatusCode.OK, (await phone.LoginAsync(email, Password)).StatusCode);
        var phoneSession = SessionOf(phone);
        Assert.Equal(HttpStatusCode.NoContent, (await browser.RevokeSessionAsync(phoneSession)).StatusCode);

        // A copy of the browser's cookies without its device cookie, presented after the browser rotated: the session ends.
        var thief = browser.CopyTo(http);
        thief.Forget("device");
        Assert.Equal(HttpStatusCode.OK, (await browser.RefreshAsync()).StatusCode);
        await ResponseAssert.ProblemAsync(await thief.RefreshAsync(), HttpStatusCode.Unauthorized);
        await Tables.UserRowsOnceAsync(userId, "refresh.reuse_detected");

        var tablet = new SessionClient(http);
        Assert.Equal(HttpStatusCode.OK, (await tablet.LoginAsync(email, Password)).StatusCode);
        var tabletSession = SessionOf(tablet);
        Assert.Equal(HttpStatusCode.OK, (await tablet.ChangePasswordAsync(Password, NewPassword)).StatusCode);
        var renewedSession = SessionOf(tablet);
        Assert.NotEqual(tabletSession, renewedSession);
        Assert.Equal(HttpStatusCode.NoContent, (await tablet.LogoutAllAsync()).StatusCode);
        var after = DateTimeOffset.UtcNow;

        var rows = await Tables.UserRowsAsync(userId);
        Assert.Equal(
            [
                ("logout_all", renewedSession, null, "success"),
                ("password.changed", tabletSession, null, "success"),
                ("login.succeeded", tabletSession, "password", "success"),
                ("refresh.reuse_detected", signupSession, "without_device", "failure"),
                ("session.revoked", phoneSession, null, "success"),
                ("login.succeeded", phoneSession, "password", "success"),
                ("logout", laptopSession, null, "success"),
                ("login.succeeded", laptopSession, "password", "success"),
                ("signup", signupSession, null, "success"),
            ],
            Summary(rows));
        Assert.All(rows, r =>
        {
            Assert.Equal(userId, r.PartitionKey);
            Assert.Equal(ClientPrefix, r.IpPrefix);
            Assert.Equal(Kept(userAgent), r.UserAgent);
            Assert.InRange(r.At, before, after);
            Assert.Null(r.Actor);
        });
        Assert.Equal(rows.Select(r => r.At).OrderByDescending(at => at), rows.Select(r => r.At));

        var fleet = await Tables.AssertFleetMirrorsAsync(rows, userId);
        Assert.Equal(rows.Count, fleet.Count);
    }

    [Fact]
    public async Task FailedAndThrottledLoginsAreStoredOnceTheAnswerIsOutAndAnUnknownAddressOnlyInTheFleet()
    {
        var userAgent = LongUserAgent("failures");
        var http = From(ClientIp, userAgent);
        var email = Emails.Unique("ev-failures");
        var browser = new SessionClient(http);
        var userId = await browser.SignUpForUserIdAsync(email, Password);

        // A wrong password at a re-authentication (this browser's device counts it, not the account).
        var wrongCurrent = await ResponseAssert.ProblemAsync(await browser.ChangePasswordAsync("wrong-" + Password, NewPassword), HttpStatusCode.BadRequest);
        Assert.True(wrongCurrent.GetProperty("errors").TryGetProperty("currentPassword", out _));
        await Tables.UserRowsOnceAsync(userId, "login.failed");

        // Wrong passwords from new browsers, up to the free failures, then the backoff.
        for (var i = 0; i < FreeFailures; i++)
        {
            await ResponseAssert.ProblemAsync(await new SessionClient(http).LoginAsync(email, "guess-" + i + "-" + Password), HttpStatusCode.Unauthorized);
        }

        var throttled = await new SessionClient(http).LoginAsync(email, Password);
        await ResponseAssert.ProblemAsync(throttled, HttpStatusCode.TooManyRequests);
        Assert.NotNull(throttled.Headers.RetryAfter);

        var rows = await Tables.UserRowsWhenAsync(userId, r => r.Count(e => e.Type == "login.failed") == FreeFailures + 1 && r.Any(e => e.Type == "login.throttled"));
        Assert.Equal(
            [
                ("login.throttled", null, "password", "failure"),
                .. Enumerable.Repeat<(string, string?, string?, string)>(("login.failed", null, "password", "failure"), FreeFailures),
                ("login.failed", SessionOf(browser), "reauthentication", "failure"),
                ("signup", SessionOf(browser), null, "success"),
            ],
            Summary(rows));
        Assert.All(rows, r => Assert.Equal((ClientPrefix, Kept(userAgent)), (r.IpPrefix, r.UserAgent)));
        await Tables.AssertFleetMirrorsAsync(rows, userId);

        // An address nobody has: a fleet row with no user id, and no user row anywhere.
        var nobody = Emails.Unique("ev-nobody");
        await ResponseAssert.ProblemAsync(await new SessionClient(http).LoginAsync(nobody, Password), HttpStatusCode.Unauthorized);
        var unknown = Assert.Single(await Tables.FleetRowsOnceAsync(r => r.UserAgent == Kept(userAgent) && r.UserId == ""));
        Assert.Equal(("login.failed", null, "no_account", "failure", ClientPrefix), (unknown.Type, unknown.SessionId, unknown.Detail, unknown.Outcome, unknown.IpPrefix));
        var userRows = (await Tables.RawRowsAsync(Tables.UserPrefix)).Where(r => r.GetString("UserAgent") == Kept(userAgent)).ToList();
        Assert.Equal(rows.Count, userRows.Count);
        Assert.All(userRows, r => Assert.Equal(userId, r.PartitionKey));
    }

    [Fact]
    public async Task MailedLinksWriteConfirmationResetAndEmailChangeEventsAndTheResetMailItsRequest()
    {
        var userAgent = LongUserAgent("mail");
        var http = From(ClientIp, userAgent);
        var email = Emails.Unique("ev-mail");
        var browser = new SessionClient(http);
        var userId = await browser.SignUpForUserIdAsync(email, Password);
        var signupSession = SessionOf(browser);

        var confirmed = await new SessionClient(http).ConfirmEmailAsync(await host.Mail.LinkTokenAsync(email, "confirm"));
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);

        Assert.Equal(HttpStatusCode.Accepted, (await new SessionClient(http).ForgotPasswordAsync(email)).StatusCode);
        var resetToken = await host.Mail.LinkTokenAsync(email, "reset");
        // Raised when the mail went out (from the queue): no request, so no address, User-Agent or session.
        var requested = (await Tables.UserRowsOnceAsync(userId, "password.reset_requested")).Single(r => r.Type == "password.reset_requested");
        Assert.Equal((null, null, null, "success"), (requested.SessionId, requested.IpPrefix, requested.UserAgent, requested.Outcome));
        Assert.Equal(HttpStatusCode.NoContent, (await new SessionClient(http).ResetPasswordAsync(resetToken, ResetPassword)).StatusCode);

        var signedIn = new SessionClient(http);
        Assert.Equal(HttpStatusCode.OK, (await signedIn.LoginAsync(email, ResetPassword)).StatusCode);
        var newEmail = Emails.Unique("ev-mail-moved");
        Assert.Equal(HttpStatusCode.Accepted, (await signedIn.ChangeEmailAsync(newEmail, ResetPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await new SessionClient(http).ConfirmEmailChangeAsync(await host.Mail.LinkTokenAsync(newEmail, "email-change"))).StatusCode);

        var rows = await Tables.UserRowsAsync(userId);
        Assert.Equal(
            [
                ("email.changed", null, null, "success"),
                ("email.change_requested", SessionOf(signedIn), null, "success"),
                ("login.succeeded", SessionOf(signedIn), "password", "success"),
                ("password.reset", null, null, "success"),
                ("password.reset_requested", null, null, "success"),
                ("email.confirmed", null, null, "success"),
                ("signup", signupSession, null, "success"),
            ],
            Summary(rows));
        Assert.All(rows.Where(r => r.Type != "password.reset_requested"), r => Assert.Equal((ClientPrefix, Kept(userAgent)), (r.IpPrefix, r.UserAgent)));
        await Tables.AssertFleetMirrorsAsync(rows, userId);
    }

    [Fact]
    public async Task SecondFactorChangesAndAFailedSecondStepAreStored()
    {
        var userAgent = LongUserAgent("mfa");
        var http = From(ClientIp, userAgent);
        var email = Emails.Unique("ev-mfa");
        var owner = new SessionClient(http);
        var userId = await owner.SignUpForUserIdAsync(email, Password);
        var ownerSession = SessionOf(owner);

        var setup = await ResponseAssert.JsonAsync(await owner.SendAsync(HttpMethod.Post, AuthApi.MfaTotpSetup.Path, new { password = Password }), HttpStatusCode.OK);
        var secret = setup.GetProperty("secret").GetString()!;
        var enabled = await ResponseAssert.JsonAsync(
            await owner.SendAsync(HttpMethod.Post, AuthApi.MfaTotpEnable.Path, new { code = await Oathtool.CodeAsync(secret) }), HttpStatusCode.OK);
        Assert.Equal(10, enabled.GetProperty("recoveryCodes").GetArrayLength());

        // The second step: a wrong code (stored while the answer goes out), then a recovery code.
        var phone = new SessionClient(http);
        var first = await ResponseAssert.JsonAsync(await phone.LoginAsync(email, Password), HttpStatusCode.OK);
        Assert.Equal("mfa_required", first.GetProperty("status").GetString());
        var right = await Oathtool.CodeAsync(secret);
        var wrong = ((int.Parse(right, System.Globalization.CultureInfo.InvariantCulture) + 500000) % 1000000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
        await ResponseAssert.ProblemAsync(await phone.SendAsync(HttpMethod.Post, AuthApi.MfaVerify.Path, new { code = wrong }), HttpStatusCode.BadRequest);
        await Tables.UserRowsOnceAsync(userId, "mfa.failed");
        var recoveryCode = enabled.GetProperty("recoveryCodes")[0].GetString();
        await ResponseAssert.JsonAsync(await phone.SendAsync(HttpMethod.Post, AuthApi.MfaVerify.Path, new { recoveryCode }), HttpStatusCode.OK);
        var phoneSession = SessionOf(phone);

        // Within the step-up window of that second step: the password is enough.
        var renewed = await ResponseAssert.JsonAsync(await phone.SendAsync(HttpMethod.Post, AuthApi.MfaRecoveryCodes.Path, new { password = Password }), HttpStatusCode.OK);
        Assert.Equal(10, renewed.GetProperty("recoveryCodes").GetArrayLength());
        Assert.Equal(HttpStatusCode.NoContent, (await phone.SendAsync(HttpMethod.Post, AuthApi.MfaTotpDisable.Path, new { password = Password })).StatusCode);

        var rows = await Tables.UserRowsAsync(userId);
        Assert.Equal(
            [
                ("mfa.disabled", phoneSession, "totp", "success"),
                ("mfa.recovery_codes_created", phoneSession, null, "success"),
                ("login.succeeded", phoneSession, "pwd mfa rcv", "success"),
                ("mfa.failed", null, "totp", "failure"),
                ("mfa.enabled", ownerSession, "totp", "success"),
                ("signup", ownerSession, null, "success"),
            ],
            Summary(rows));
        Assert.All(rows, r => Assert.Equal((ClientPrefix, Kept(userAgent)), (r.IpPrefix, r.UserAgent)));
        await Tables.AssertFleetMirrorsAsync(rows, userId);
    }

    [Fact]
    public async Task APasskeyAddedUsedAndRemovedIsStored()
    {
        var userAgent = LongUserAgent("passkey");
        var http = From(ClientIp, userAgent);
        var owner = new SessionClient(http);
        var userId = await owner.SignUpForUserIdAsync(Emails.Unique("ev-passkey"), Password);
        using var authenticator = new SoftwareAuthenticator(TestApi.Frontend, "localhost");

        var options = await ResponseAssert.JsonAsync(await owner.SendAsync(HttpMethod.Post, AuthApi.PasskeyRegisterOptions.Path, new { password = Password }), HttpStatusCode.OK);
        var added = await ResponseAssert.JsonAsync(
            await owner.SendAsync(HttpMethod.Post, AuthApi.PasskeyRegister.Path, new { credential = authenticator.Register(options), name = "Laptop" }), HttpStatusCode.OK);

        var visitor = new SessionClient(http);
        var loginOptions = await ResponseAssert.JsonAsync(await visitor.SendAsync(HttpMethod.Post, AuthApi.PasskeyLoginOptions.Path), HttpStatusCode.OK);
        var signedIn = await ResponseAssert.JsonAsync(
            await visitor.SendAsync(HttpMethod.Post, AuthApi.PasskeyLogin.Path, new { credential = authenticator.Assert(loginOptions) }), HttpStatusCode.OK);
        Assert.Equal(userId, signedIn.GetProperty("userId").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await owner.SendAsync(HttpMethod.Post, AuthApi.PasskeyDelete.Path, new { id = added.GetProperty("id").GetString(), password = Password })).StatusCode);

        var rows = await Tables.UserRowsAsync(userId);
        Assert.Equal(
            [
                ("passkey.removed", SessionOf(owner), null, "success"),
                ("login.succeeded", SessionOf(visitor), "passkey", "success"),
                ("passkey.added", SessionOf(owner), null, "success"),
                ("signup", SessionOf(owner), null, "success"),
            ],
            Summary(rows));
        Assert.All(rows, r => Assert.Equal((ClientPrefix, Kept(userAgent)), (r.IpPrefix, r.UserAgent)));
        await Tables.AssertFleetMirrorsAsync(rows, userId);
    }

    [Fact]
    public async Task DeletingTheAccountDeletesItsRowsInEveryMonthTableAndTheFleetKeepsItsIdAndTheDeletion()
    {
        var http = From(ClientIp, LongUserAgent("delete"));
        var browser = new SessionClient(http);
        var userId = await browser.SignUpForUserIdAsync(Emails.Unique("ev-delete"), Password);
        var bystander = await new SessionClient(http).SignUpForUserIdAsync(Emails.Unique("ev-bystander"), Password);
        // An event of weeks ago, in an earlier month's table (within retention).
        var earlier = DateTimeOffset.UtcNow.AddDays(-35);
        await Api.Service<EventLog>().WriteAsync(new AuthEvent(AuthEventKind.PasswordChanged, userId, "old-session", earlier, "192.0.2.1"), Ct);
        var kept = await Tables.UserRowsAsync(userId);
        Assert.Equal([Tables.UserTable(DateTimeOffset.UtcNow), Tables.UserTable(earlier)], kept.Select(r => r.Table).Distinct());
        var session = SessionOf(browser);

        Assert.Equal(HttpStatusCode.NoContent, (await browser.DeleteAccountAsync(Password)).StatusCode);

        Assert.Empty(await Tables.UserRowsAsync(userId));
        Assert.Equal(["signup"], (await Tables.UserRowsAsync(bystander)).Select(r => r.Type));
        var fleet = await Tables.FleetRowsOfAsync(userId);
        Assert.Equal(
            [("password.changed", "old-session", "192.0.2.0/24"), ("signup", session, ClientPrefix), ("account.deleted", session, ClientPrefix)],
            fleet.Select(r => (r.Type, r.SessionId, r.IpPrefix)));
        Assert.Equal(Tables.FleetTable(earlier), fleet[0].Table);
    }

    [Theory]
    [InlineData("2001:db8:85a3:1234:5678:9abc:def0:1234", "2001:db8:85a3::/48")]
    [InlineData("[2001:db8:85a3:ffff::1]:443", "2001:db8:85a3::/48")]
    [InlineData("::ffff:198.51.100.23", "198.51.100.0/24")]
    [InlineData("198.51.100.255", "198.51.100.0/24")]
    public async Task TheClientAddressIsStoredTruncatedAndNoUserAgentAsNone(string forwardedFor, string prefix)
    {
        var browser = new SessionClient(From(forwardedFor, userAgent: null));
        var userId = await browser.SignUpForUserIdAsync(Emails.Unique("ev-address"), Password);

        var row = Assert.Single(await Tables.UserRowsAsync(userId));
        Assert.Equal(("signup", prefix, null), (row.Type, row.IpPrefix, row.UserAgent));
        Assert.Equal(row.Content, Assert.Single(await Tables.FleetRowsOfAsync(userId)).Content);
    }
}
