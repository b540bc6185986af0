using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Serverless.Auth.Http;
using Serverless.Auth.Tests.Email;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Rollout;

/// <summary>
/// The security event log and the admin API (issue 31) against the release before them
/// (<see cref="PreviousRelease.BeforeEventLog"/>, built from this repository's history) running at once with this one on
/// the same Azurite tables, as during a roll-out. That release knows no <c>Disabled</c> column, no event table and no admin
/// route: the accounts and sessions it wrote must be found, summarized and disabled here; its own merges of the account row
/// must keep the flag; and it must keep working (and write no event) next to the event tables. Admin tokens come from a
/// local issuer (<see cref="RogueOidcProvider"/>). Each release reads a mail queue of its own, so the one that took a
/// request delivers its mail. Real clocks: the two processes share no fake one.
/// </summary>
/// <remarks>
/// What a disable means while both releases run: it is enforced by the instances of this release (no sign-in, no refresh,
/// no mailed link), and the cut-off it writes ends every session that exists at that moment on every instance, the previous
/// release's too (it honours the revocation cut-off within its sync interval). The previous release does not know the flag:
/// it still signs the account in with its password (and mails it a reset link, which it then accepts), and the session it
/// starts lives on its instances (it refreshes there) until the roll-out ends. Disable again (or sign out) once no instance
/// of the previous release is left.
/// </remarks>
public sealed class EventLogRolloutTests(AzuriteFixture azurite, MaildevFixture mail) : IClassFixture<MaildevFixture>, IAsyncLifetime
{
    private const string Password = "lantern-orchid-basalt-5821";
    private const string SecondPassword = "meadow-copper-fjord-3094";
    private const string ThirdPassword = "glacier-tulip-anvil-7718";
    private const string AdminAudience = "api://admin-tests";
    private const string AdminSubject = "rollout-admin";

    /// <summary>How soon a cut-off reaches every instance (the revocation sync interval is 1 s).</summary>
    private static readonly TimeSpan Sync = TimeSpan.FromSeconds(2);

    private Dictionary<string, string?> settings = null!;
    private RogueOidcProvider admins = null!;
    private HostProcess previous = null!;
    private HttpClient previousClient = null!;
    private TestApi current = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        admins = await RogueOidcProvider.StartAsync("admin-tests-client", Ct);
        // Event tables of this test's own (as every test host's tables), so reading them finds this test's events only.
        settings = MailApi.Settings(azurite, mail.Maildev, s =>
        {
            s["Auth:Admin:Authority"] = admins.Issuer;
            s["Auth:Admin:Audience"] = AdminAudience;
        });

        // The previous release gets the same settings (a roll-out changes the code, not the configuration): it ignores
        // the ones it does not know.
        var previousSettings = new Dictionary<string, string?>(settings) { ["AUTH_EMAIL_QUEUE"] = settings["AUTH_EMAIL_QUEUE"] + "-previous" };
        previous = await PreviousRelease.StartAsync(previousSettings, PreviousRelease.BeforeEventLog);
        previousClient = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = previous.BaseAddress };
        current = await TestApi.StartAsync(settings, cancellationToken: Ct);
    }

    public async ValueTask DisposeAsync()
    {
        previousClient?.Dispose();
        if (current is not null)
        {
            await current.DisposeAsync();
        }

        if (previous is not null)
        {
            await previous.DisposeAsync();
        }

        if (admins is not null)
        {
            await admins.DisposeAsync();
        }
    }

    private TableClient Users => new(azurite.ConnectionString, settings["Auth:Storage:UsersTable"]!);

    /// <summary>A browser on the previous release.</summary>
    private SessionClient Old() => new(previousClient);

    /// <summary>A browser on this release.</summary>
    private SessionClient New() => new(current.Client);

    [Fact]
    public async Task AnAccountThePreviousReleaseWroteIsFoundAndDisabledHereAndTheCutOffEndsItsSessionsOnBothReleases()
    {
        // Written by the previous release: the account (no Disabled column) and two sessions, signup's and a login's.
        var email = Emails.Unique("rollout-disable");
        var signedUp = Old();
        var userId = await signedUp.SignUpForUserIdAsync(email, Password);
        var laptop = Old();
        Assert.Equal(userId, (await ResponseAssert.JsonAsync(await laptop.LoginAsync(email, Password), HttpStatusCode.OK)).GetProperty("userId").GetString());
        var written = await AccountRowAsync(userId);
        Assert.False(written.ContainsKey("Disabled"));
        var createdAt = written.GetDateTimeOffset("CreatedAt");
        Assert.NotNull(createdAt);

        // The admin API finds it by its address and by its id: enabled, created when that release stored it, two sessions.
        var found = await ResponseAssert.JsonAsync(await AdminAsync(HttpMethod.Post, AuthApi.ManageUserFind.Path, new { email }), HttpStatusCode.OK);
        var byId = await ResponseAssert.JsonAsync(await AdminAsync(HttpMethod.Get, UserPath(AuthApi.ManageUserGet, userId)), HttpStatusCode.OK);
        foreach (var summary in new[] { found, byId })
        {
            Assert.Equal(userId, summary.GetProperty("userId").GetString());
            Assert.Equal(email, summary.GetProperty("email").GetString());
            Assert.Equal("active", summary.GetProperty("status").GetString());
            Assert.False(summary.GetProperty("disabled").GetBoolean());
            Assert.False(summary.GetProperty("emailConfirmed").GetBoolean());
            Assert.Equal(createdAt, summary.GetProperty("createdAt").GetDateTimeOffset());
            Assert.Equal(2, summary.GetProperty("sessions").GetInt32());
            Assert.NotEqual(JsonValueKind.Null, summary.GetProperty("lastSignInAt").ValueKind);
            var factors = summary.GetProperty("factors");
            Assert.True(factors.GetProperty("password").GetBoolean());
            Assert.False(factors.GetProperty("totp").GetBoolean());
            Assert.Equal(0, factors.GetProperty("passkeys").GetInt32());
            Assert.Empty(factors.GetProperty("providers").EnumerateArray());
        }

        // The previous release's sessions work on both releases (same keys, same tables).
        var laptopHere = laptop.CopyTo(current.Client);
        foreach (var session in new[] { signedUp, laptop, laptopHere })
        {
            Assert.Equal(userId, (await ResponseAssert.JsonAsync(await session.VerifyAsync(), HttpStatusCode.OK)).GetProperty("userId").GetString());
        }

        // Disabled here: the flag merged into the row that release wrote (its columns untouched), no session left.
        var disabled = await ResponseAssert.JsonAsync(await AdminAsync(HttpMethod.Post, UserPath(AuthApi.ManageUserDisable, userId)), HttpStatusCode.OK);
        Assert.True(disabled.GetProperty("disabled").GetBoolean());
        Assert.Equal("disabled", disabled.GetProperty("status").GetString());
        Assert.Equal(0, disabled.GetProperty("sessions").GetInt32());
        var row = await AccountRowAsync(userId);
        Assert.True(row.GetBoolean("Disabled"));
        Assert.Equal(written.GetString("PasswordHash"), row.GetString("PasswordHash"));
        Assert.Equal(written.GetString("Email"), row.GetString("Email"));
        Assert.Equal(createdAt, row.GetDateTimeOffset("CreatedAt"));

        // The cut-off ends the previous release's sessions on this instance and on the previous release's own (it honours
        // the cut-off within its sync interval); neither release refreshes them.
        await EventuallyUnauthorizedAsync(laptopHere);
        await EventuallyUnauthorizedAsync(laptop);
        await EventuallyUnauthorizedAsync(signedUp);
        await ResponseAssert.ProblemAsync(await laptopHere.RefreshAsync(), HttpStatusCode.Unauthorized);
        await ResponseAssert.ProblemAsync(await signedUp.RefreshAsync(), HttpStatusCode.Unauthorized);

        // This release refuses the account's sign-in: 403 account_disabled after the right password, 401 for a wrong one.
        await AssertDisabledHereAsync(email, Password);

        // The previous release does not know the flag: it still signs the password in. Its session lives on its instances
        // (it refreshes there); here its access token verifies (a signed token, started after the cut-off) but this release
        // refuses to refresh it, so it dies here when that token expires. That is the roll-out's gap: a disable is enforced
        // by the new instances, and what the old ones sign in after it lives until they are gone.
        var escaped = Old();
        var there = await ResponseAssert.JsonAsync(await escaped.LoginAsync(email, Password), HttpStatusCode.OK);
        Assert.Equal("signed_in", there.GetProperty("status").GetString());
        Assert.Equal(userId, there.GetProperty("userId").GetString());
        Assert.True((await AccountRowAsync(userId)).GetBoolean("Disabled"));
        var escapedHere = escaped.CopyTo(current.Client);
        Assert.Equal(HttpStatusCode.OK, (await escapedHere.VerifyAsync()).StatusCode);
        await ResponseAssert.ProblemAsync(await escapedHere.RefreshAsync(), HttpStatusCode.Unauthorized);
        Assert.Equal(userId, (await ResponseAssert.JsonAsync(await escaped.RefreshAsync(), HttpStatusCode.OK)).GetProperty("userId").GetString());
        Assert.Equal(HttpStatusCode.OK, (await escaped.VerifyAsync()).StatusCode);

        // The admin summary shows it (disabled, one session), and disabling again ends it on both releases.
        var seen = await ResponseAssert.JsonAsync(await AdminAsync(HttpMethod.Get, UserPath(AuthApi.ManageUserGet, userId)), HttpStatusCode.OK);
        Assert.True(seen.GetProperty("disabled").GetBoolean());
        Assert.Equal(1, seen.GetProperty("sessions").GetInt32());
        var again = await ResponseAssert.JsonAsync(await AdminAsync(HttpMethod.Post, UserPath(AuthApi.ManageUserDisable, userId)), HttpStatusCode.OK);
        Assert.Equal(0, again.GetProperty("sessions").GetInt32());
        await EventuallyUnauthorizedAsync(escaped);
        await EventuallyUnauthorizedAsync(escaped.CopyTo(current.Client));
        await ResponseAssert.ProblemAsync(await escaped.RefreshAsync(), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ThePreviousReleasesWritesOfADisabledAccountKeepTheFlag()
    {
        var email = Emails.Unique("rollout-keeps-flag");
        var userId = await Old().SignUpForUserIdAsync(email, Password);
        Assert.Equal(HttpStatusCode.OK, (await AdminAsync(HttpMethod.Post, UserPath(AuthApi.ManageUserDisable, userId))).StatusCode);
        var disabledRow = await AccountRowAsync(userId);
        Assert.True(disabledRow.GetBoolean("Disabled"));

        // Wrong passwords on the previous release: 401, and the row (its backoff is in a table of its own) keeps the flag.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            await ResponseAssert.ProblemAsync(await Old().LoginAsync(email, "wrong-" + Password), HttpStatusCode.Unauthorized);
        }

        await AssertStillDisabledAsync(userId, email, Password);

        // Its login (which it allows: it does not know the flag) records a new device: a merge of DevicesIssued.
        var old = Old();
        Assert.Equal(userId, (await ResponseAssert.JsonAsync(await old.LoginAsync(email, Password), HttpStatusCode.OK)).GetProperty("userId").GetString());
        var afterLogin = await AccountRowAsync(userId);
        Assert.Equal((disabledRow.GetInt64("DevicesIssued") ?? 0) + 1, afterLogin.GetInt64("DevicesIssued"));
        await AssertStillDisabledAsync(userId, email, Password);

        // Its password change: a merge of PasswordHash.
        Assert.Equal(userId, (await ResponseAssert.JsonAsync(await old.ChangePasswordAsync(Password, SecondPassword), HttpStatusCode.OK)).GetProperty("userId").GetString());
        var afterChange = await AccountRowAsync(userId);
        Assert.NotEqual(afterLogin.GetString("PasswordHash"), afterChange.GetString("PasswordHash"));
        await AssertStillDisabledAsync(userId, email, SecondPassword);

        // Its reset mail (it mails a disabled account: it does not know the flag). This release refuses the link (a
        // disabled account's links do not work here, and the refusal does not use it up); the previous release resets with
        // it: a merge of PasswordHash and the reset stamp.
        Assert.Equal(HttpStatusCode.Accepted, (await Old().ForgotPasswordAsync(email)).StatusCode);
        var reset = await MailedTokenAsync(email, "reset");
        var refused = await ResponseAssert.ProblemAsync(await New().ResetPasswordAsync(reset, ThirdPassword), HttpStatusCode.BadRequest);
        Assert.Equal("invalid_token", refused.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await Old().ResetPasswordAsync(reset, ThirdPassword)).StatusCode);
        var afterReset = await AccountRowAsync(userId);
        Assert.NotEqual(afterChange.GetString("PasswordHash"), afterReset.GetString("PasswordHash"));
        await AssertStillDisabledAsync(userId, email, ThirdPassword);

        // Its TOTP set-up: a merge of the secret, the recovery codes and the fenced hash.
        var withTotp = Old();
        Assert.Equal(HttpStatusCode.OK, (await withTotp.LoginAsync(email, ThirdPassword)).StatusCode);
        Assert.Equal(10, (await EnableTotpAsync(withTotp, ThirdPassword)).Count);
        var afterTotp = await AccountRowAsync(userId);
        Assert.False(string.IsNullOrEmpty(afterTotp.GetString("TotpSecret")));
        Assert.Equal("2fa:" + afterReset.GetString("PasswordHash"), afterTotp.GetString("PasswordHash"));
        await AssertStillDisabledAsync(userId, email, ThirdPassword);

        // Enabled here (a merge too): the previous release's second factor is kept, and this release asks for it.
        var enabled = await ResponseAssert.JsonAsync(await AdminAsync(HttpMethod.Post, UserPath(AuthApi.ManageUserEnable, userId)), HttpStatusCode.OK);
        Assert.False(enabled.GetProperty("disabled").GetBoolean());
        Assert.True(enabled.GetProperty("factors").GetProperty("totp").GetBoolean());
        var row = await AccountRowAsync(userId);
        Assert.False(row.GetBoolean("Disabled"));
        Assert.Equal(afterTotp.GetString("TotpSecret"), row.GetString("TotpSecret"));
        Assert.Equal(afterTotp.GetString("PasswordHash"), row.GetString("PasswordHash"));
        var here = await ResponseAssert.JsonAsync(await New().LoginAsync(email, ThirdPassword), HttpStatusCode.OK);
        Assert.Equal("mfa_required", here.GetProperty("status").GetString());
    }

    [Fact]
    public async Task ThePreviousReleaseWritesNoEventAndKeepsWorkingBesideTheEventTablesThisReleaseWrites()
    {
        // The previous release's signup and login: no event anywhere. This release reads that account's activity (with the
        // previous release's session): empty.
        var oldEmail = Emails.Unique("rollout-events-old");
        var oldSession = Old();
        var oldId = await oldSession.SignUpForUserIdAsync(oldEmail, Password);
        Assert.Equal(HttpStatusCode.OK, (await Old().LoginAsync(oldEmail, Password)).StatusCode);
        Assert.Empty(await ActivityAsync(oldSession.CopyTo(current.Client)));
        Assert.Empty(await StoredEventsAsync(oldId));

        // This release, alongside: its signup and login write events (the user's log, newest first, and the fleet log).
        var newEmail = Emails.Unique("rollout-events-new");
        var newId = await New().SignUpForUserIdAsync(newEmail, Password);
        var newLogin = New();
        Assert.Equal(HttpStatusCode.OK, (await newLogin.LoginAsync(newEmail, Password)).StatusCode);
        var newActivity = await ActivityAsync(newLogin);
        Assert.Equal(["login.succeeded", "signup"], newActivity.Select(e => e.Type));
        Assert.Equal([true, false], newActivity.Select(e => e.Current));
        Assert.Equal(2, (await StoredEventsAsync(newId)).Count);
        Assert.NotEmpty(await TablesAsync(settings["Auth:Storage:UserEventsTable"]!));
        Assert.NotEmpty(await TablesAsync(settings["Auth:Storage:FleetEventsTable"]!));

        // With the event tables there (this release makes them at start-up and writes them), the previous release still
        // signs up and signs in (and refuses a wrong password), writing no event; it signs in the account this release wrote
        // too, which adds nothing to that account's log.
        var laterEmail = Emails.Unique("rollout-events-later");
        var later = Old();
        var laterId = await later.SignUpForUserIdAsync(laterEmail, Password);
        Assert.Equal(laterId, (await ResponseAssert.JsonAsync(await Old().LoginAsync(laterEmail, Password), HttpStatusCode.OK)).GetProperty("userId").GetString());
        await ResponseAssert.ProblemAsync(await Old().LoginAsync(laterEmail, "wrong-" + Password), HttpStatusCode.Unauthorized);
        Assert.Equal(newId, (await ResponseAssert.JsonAsync(await Old().LoginAsync(newEmail, Password), HttpStatusCode.OK)).GetProperty("userId").GetString());
        Assert.Equal(HttpStatusCode.OK, (await later.ChangePasswordAsync(Password, SecondPassword)).StatusCode);
        Assert.Empty(await ActivityAsync(later.CopyTo(current.Client)));
        Assert.Empty(await StoredEventsAsync(laterId));
        Assert.Equal(2, (await StoredEventsAsync(newId)).Count);

        // The previous release's account signs in here: its log has this release's events only, a failed login too
        // (recorded off the response path, so waited for).
        var oldHere = New();
        Assert.Equal(HttpStatusCode.OK, (await oldHere.LoginAsync(oldEmail, Password)).StatusCode);
        var oldActivity = await ActivityAsync(oldHere);
        Assert.Equal(["login.succeeded"], oldActivity.Select(e => e.Type));
        Assert.True(oldActivity[0].Current);
        await ResponseAssert.ProblemAsync(await New().LoginAsync(oldEmail, "wrong-" + Password), HttpStatusCode.Unauthorized);
        await ResponseAssert.EventuallyAsync(async () => (await ActivityAsync(oldHere)).Count == 2, TimeSpan.FromSeconds(5));
        Assert.Equal(["login.failed", "login.succeeded"], (await ActivityAsync(oldHere)).Select(e => e.Type));

        // The fleet log has the same (its copy of the failed login written at once with the user's, so waited for too):
        // this release's events of that account, none of the previous release's.
        var fleetEvents = new List<JsonElement>();
        await ResponseAssert.EventuallyAsync(
            async () => (fleetEvents = await FleetEventsAsync()).Count(e => e.GetProperty("userId").GetString() == oldId) == 2, TimeSpan.FromSeconds(5));
        Assert.Equal(
            ["login.succeeded", "login.failed"],
            fleetEvents.Where(e => e.GetProperty("userId").GetString() == oldId).Select(e => e.GetProperty("type").GetString()));
        Assert.DoesNotContain(fleetEvents, e => e.GetProperty("userId").GetString() == laterId);
        Assert.Equal(
            ["signup", "login.succeeded"],
            fleetEvents.Where(e => e.GetProperty("userId").GetString() == newId).Select(e => e.GetProperty("type").GetString()));

        // And the previous release still works after all that: a sign-in of each account.
        Assert.Equal(HttpStatusCode.OK, (await Old().LoginAsync(oldEmail, Password)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Old().LoginAsync(laterEmail, SecondPassword)).StatusCode);
    }

    /// <summary>This release refuses the account (403 account_disabled after the right password, 401 for a wrong one), and the admin API says disabled.</summary>
    private async Task AssertStillDisabledAsync(string userId, string email, string password)
    {
        Assert.True((await AccountRowAsync(userId)).GetBoolean("Disabled"));
        var summary = await ResponseAssert.JsonAsync(await AdminAsync(HttpMethod.Get, UserPath(AuthApi.ManageUserGet, userId)), HttpStatusCode.OK);
        Assert.True(summary.GetProperty("disabled").GetBoolean());
        Assert.Equal("disabled", summary.GetProperty("status").GetString());
        await AssertDisabledHereAsync(email, password);
    }

    private async Task AssertDisabledHereAsync(string email, string password)
    {
        var refused = await ResponseAssert.ProblemAsync(await New().LoginAsync(email, password), HttpStatusCode.Forbidden);
        Assert.Equal("account_disabled", refused.GetProperty("code").GetString());
        var wrong = await ResponseAssert.ProblemAsync(await New().LoginAsync(email, "wrong-" + password), HttpStatusCode.Unauthorized);
        Assert.False(wrong.TryGetProperty("code", out var code) && code.GetString() == "account_disabled");
    }

    /// <summary>An admin request to this release with a bearer token from the admin issuer (the role, the audience).</summary>
    private async Task<HttpResponseMessage> AdminAsync(HttpMethod method, string path, object? body = null)
    {
        var claims = admins.Claims(nonce: null, sub: AdminSubject, email: null, emailVerified: null, aud: AdminAudience);
        claims["roles"] = new[] { "Auth.Admin" };
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admins.IdToken(claims, admins.RsaKey));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType());
        }

        return await current.Client.SendAsync(request, Ct);
    }

    /// <summary>The first page of the fleet log (the last 24 hours; this test's tables only), as the admin API answers it.</summary>
    private async Task<List<JsonElement>> FleetEventsAsync()
    {
        var page = await ResponseAssert.JsonAsync(await AdminAsync(HttpMethod.Get, AuthApi.ManageEvents.Path), HttpStatusCode.OK);
        return [.. page.GetProperty("events").EnumerateArray()];
    }

    private static string UserPath(AuthEndpoint endpoint, string userId) => endpoint.Path.Replace("{id}", userId, StringComparison.Ordinal);

    /// <summary>The session's activity as this release answers it (the session may be one the previous release started).</summary>
    private static async Task<List<ActivityEvent>> ActivityAsync(SessionClient session)
    {
        var body = await ResponseAssert.JsonAsync(await session.SendAsync(HttpMethod.Get, AuthApi.Activity.Path), HttpStatusCode.OK);
        return [.. body.EnumerateArray().Select(e => new ActivityEvent(
            e.GetProperty("type").GetString()!, e.GetProperty("at").GetDateTimeOffset(), e.GetProperty("ipPrefix").GetString(),
            e.GetProperty("userAgent").GetString(), e.GetProperty("current").GetBoolean()))];
    }

    /// <summary>Every row of the user's partition in every user event table (a month each) of this test.</summary>
    private async Task<List<TableEntity>> StoredEventsAsync(string userId)
    {
        var rows = new List<TableEntity>();
        foreach (var table in await TablesAsync(settings["Auth:Storage:UserEventsTable"]!))
        {
            rows.AddRange(await new TableClient(azurite.ConnectionString, table).QueryAsync<TableEntity>(r => r.PartitionKey == userId, cancellationToken: Ct).ToListAsync(Ct));
        }

        return rows;
    }

    private async Task<List<string>> TablesAsync(string prefix) =>
        await new TableServiceClient(azurite.ConnectionString).QueryAsync(cancellationToken: Ct)
            .Select(t => t.Name)
            .Where(name => name.StartsWith(prefix, StringComparison.Ordinal) && name.Length > prefix.Length && name[prefix.Length..].All(char.IsAsciiDigit))
            .ToListAsync(Ct);

    /// <summary>Polls the session's verify on its release until it answers 401, within <see cref="Sync"/>.</summary>
    private static Task EventuallyUnauthorizedAsync(SessionClient session) =>
        ResponseAssert.EventuallyAsync(async () => (await session.VerifyAsync()).StatusCode == HttpStatusCode.Unauthorized, Sync);

    /// <summary>Sets up TOTP on the previous release (the password), enables it with an oathtool code; returns the recovery codes.</summary>
    private static async Task<IReadOnlyList<string>> EnableTotpAsync(SessionClient session, string password)
    {
        var setup = await ResponseAssert.JsonAsync(await session.SendAsync(HttpMethod.Post, AuthApi.MfaTotpSetup.Path, new { password }), HttpStatusCode.OK);
        var code = await Oathtool.CodeAsync(setup.GetProperty("secret").GetString()!);
        var enabled = await ResponseAssert.JsonAsync(await session.SendAsync(HttpMethod.Post, AuthApi.MfaTotpEnable.Path, new { code }), HttpStatusCode.OK);
        return [.. enabled.GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString()!)];
    }

    /// <summary>The token of the last mail to the address with a link to <paramref name="page"/>.</summary>
    private async Task<string> MailedTokenAsync(string email, string page)
    {
        var mails = await mail.Maildev.WaitForEmailsAsync(email, 1, cancellationToken: Ct);
        for (var count = 2; !mails.Any(m => IsLinkTo(m, page)) && count <= 4; count++)
        {
            mails = await mail.Maildev.WaitForEmailsAsync(email, count, cancellationToken: Ct);
        }

        return MailLinks.Token(mails.Last(m => IsLinkTo(m, page)), page);
    }

    private static bool IsLinkTo(ReceivedMail message, string page) => (message.Text ?? "").Contains("/" + page + "?token=", StringComparison.Ordinal);

    private async Task<TableEntity> AccountRowAsync(string userId) =>
        (await Users.GetEntityAsync<TableEntity>(userId, "user", cancellationToken: Ct)).Value;
}
