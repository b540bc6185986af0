using System.Globalization;
using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Serverless.Auth.Http;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Mfa;

/// <summary>
/// TOTP two-factor sign-in over HTTP (issue 28), on two instances sharing real Azurite tables and one fake clock, with
/// codes computed by an independent implementation (Debian's oathtool).
/// </summary>
public sealed class TwoFactorSignInTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Password = "plum-orchard-lantern-4821";
    private const int StepUpSeconds = 120;
    private readonly FakeTimeProvider clock = new(DateTimeOffset.UtcNow);
    private readonly LogCollector logs = new();
    private Dictionary<string, string?> settings = null!;
    private TestApi api = null!;
    private TestApi other = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        settings = TestApi.DefaultSettings(azurite.ConnectionString);
        settings["Auth:Mfa:StepUpSeconds"] = StepUpSeconds.ToString(CultureInfo.InvariantCulture);
        settings["Auth:Throttling:FreeFailures"] = "5";
        void Configure(Microsoft.AspNetCore.Builder.WebApplicationBuilder builder)
        {
            builder.Services.AddSingleton<TimeProvider>(clock);
            builder.Services.RemoveMailAndCleanup();
            builder.Logging.AddProvider(logs);
            // Every level reaches the collector, whatever the console gets: a secret logged at Debug counts too.
            builder.Logging.AddFilter<LogCollector>(category: null, LogLevel.Trace);
        }

        api = await TestApi.StartAsync(settings, Configure, MapSensitiveEndpoint, cancellationToken: Ct);
        other = await TestApi.StartAsync(settings, Configure, cancellationToken: Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await api.DisposeAsync();
        await other.DisposeAsync();
    }

    private const string SensitivePath = "/api/app/sensitive";

    /// <summary>An app's own endpoint that wants a second factor checked within a minute.</summary>
    private static void MapSensitiveEndpoint(Microsoft.AspNetCore.Builder.WebApplication app) =>
        Microsoft.AspNetCore.Builder.AuthorizationEndpointConventionBuilderExtensions.RequireAuthorization(
            Microsoft.AspNetCore.Builder.EndpointRouteBuilderExtensions.MapGet(app, SensitivePath, () => "ok"),
            policy => Serverless.Auth.Protection.SessionAuthentication.RequireRecentSecondFactor(policy, TimeSpan.FromSeconds(60)));

    private sealed record Enrolled(string Email, string UserId, string Secret, IReadOnlyList<string> RecoveryCodes, SessionClient Session);

    /// <summary>Signs up, sets up and enables TOTP with oathtool's code; the clock then moves one step on.</summary>
    private async Task<Enrolled> EnrolAsync(string name)
    {
        var email = Emails.Unique(name);
        var session = new SessionClient(api.Client);
        var userId = await session.SignUpForUserIdAsync(email, Password);
        var setup = await ResponseAssert.JsonAsync(await session.SendAsync(HttpMethod.Post, AuthApi.MfaTotpSetup.Path, new { password = Password }), HttpStatusCode.OK);
        var secret = setup.GetProperty("secret").GetString()!;
        Assert.Matches("^[A-Z2-7]{32}$", secret);
        Assert.StartsWith("otpauth://totp/", setup.GetProperty("otpauthUri").GetString(), StringComparison.Ordinal);
        Assert.Contains("secret=" + secret, setup.GetProperty("otpauthUri").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("<svg", setup.GetProperty("qrSvg").GetString()!.TrimStart(), StringComparison.Ordinal);

        var enabled = await ResponseAssert.JsonAsync(
            await session.SendAsync(HttpMethod.Post, AuthApi.MfaTotpEnable.Path, new { code = await CodeAsync(secret) }), HttpStatusCode.OK);
        var codes = enabled.GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString()!).ToList();
        Assert.Equal(10, codes.Distinct().Count());
        Assert.All(codes, c => Assert.Matches("^[0-9a-z]{5}-[0-9a-z]{5}$", c));
        clock.Advance(TimeSpan.FromSeconds(30));
        return new Enrolled(email, userId, secret, codes, session);
    }

    private Task<string> CodeAsync(string secret, TimeSpan offset = default) => Oathtool.CodeAsync(secret, clock.GetUtcNow() + offset);

    /// <summary>The first step on <paramref name="on"/>: asserts mfa_required and returns the client holding the pending cookie.</summary>
    private async Task<(SessionClient Client, HttpResponseMessage Response)> FirstStepAsync(TestApi on, string email)
    {
        // A pending sign-in is spent by any completion issued at or after it, to the millisecond: the frozen clock moves one.
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var client = new SessionClient(on.Client);
        var response = await client.LoginAsync(email, Password);
        var body = await ResponseAssert.JsonAsync(response, HttpStatusCode.OK);
        Assert.Equal("mfa_required", body.GetProperty("status").GetString());
        Assert.Equal(["totp", "recovery"], body.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.False(body.TryGetProperty("userId", out _));
        return (client, response);
    }

    private static Task<HttpResponseMessage> VerifyAsync(SessionClient client, object body) => client.SendAsync(HttpMethod.Post, AuthApi.MfaVerify.Path, body);

    [Fact]
    public async Task TheRightPasswordAsksForTheCodeAndOnlyTheSecondStepStartsTheSession()
    {
        var user = await EnrolAsync("mfa-login");

        var (client, first) = await FirstStepAsync(api, user.Email);
        var cookies = SessionClient.SetCookies(first);
        var pending = Assert.Single(cookies);
        Assert.Equal("auth-mfa", pending.Name.ToString());
        Assert.Equal("/api/auth/mfa", pending.Path.ToString());
        Assert.True(pending.HttpOnly);
        Assert.Equal(TimeSpan.FromSeconds(300), pending.MaxAge);
        Assert.Null(client.Access);
        Assert.Null(client.Device);
        await ResponseAssert.ProblemAsync(await client.VerifyAsync(), HttpStatusCode.Unauthorized);

        var verified = await VerifyAsync(client, new { code = await CodeAsync(user.Secret) });
        var session = await ResponseAssert.JsonAsync(verified, HttpStatusCode.OK);
        Assert.Equal("signed_in", session.GetProperty("status").GetString());
        Assert.Equal(user.UserId, session.GetProperty("userId").GetString());
        Assert.Equal(["pwd", "otp", "mfa"], session.GetProperty("amr").EnumerateArray().Select(m => m.GetString()));
        Assert.NotNull(client.Access);
        Assert.NotNull(client.Device);
        Assert.False(client.Cookies.ContainsKey("auth-mfa"));

        // The session works on the other instance too, and says how it was signed in.
        var who = await ResponseAssert.JsonAsync(await client.CopyTo(other.Client).VerifyAsync(), HttpStatusCode.OK);
        Assert.Equal(["pwd", "otp", "mfa"], who.GetProperty("amr").EnumerateArray().Select(m => m.GetString()));

        var status = await ResponseAssert.JsonAsync(await client.SendAsync(HttpMethod.Get, AuthApi.MfaStatus.Path), HttpStatusCode.OK);
        Assert.True(status.GetProperty("totp").GetBoolean());
        Assert.Equal(10, status.GetProperty("recoveryCodesLeft").GetInt32());
        Assert.Equal(0, status.GetProperty("passkeys").GetInt32());
    }

    [Fact]
    public async Task EnablingEndsTheOtherSessionsAndTheSecretIsSealedAtRestAndNeverLogged()
    {
        var email = Emails.Unique("mfa-enable");
        var laptop = new SessionClient(api.Client);
        var userId = await laptop.SignUpForUserIdAsync(email, Password);
        var phone = new SessionClient(other.Client);
        Assert.Equal(HttpStatusCode.OK, (await phone.LoginAsync(email, Password)).StatusCode);

        await ResponseAssert.ProblemAsync(await laptop.SendAsync(HttpMethod.Post, AuthApi.MfaTotpSetup.Path, new { password = "wrong-" + Password }), HttpStatusCode.BadRequest);
        var setup = await ResponseAssert.JsonAsync(await laptop.SendAsync(HttpMethod.Post, AuthApi.MfaTotpSetup.Path, new { password = Password }), HttpStatusCode.OK);
        var secret = setup.GetProperty("secret").GetString()!;
        var wrong = await ResponseAssert.ProblemAsync(await laptop.SendAsync(HttpMethod.Post, AuthApi.MfaTotpEnable.Path, new { code = "000000" }), HttpStatusCode.BadRequest);
        Assert.True(wrong.GetProperty("errors").TryGetProperty("code", out _));
        var enabled = await ResponseAssert.JsonAsync(await laptop.SendAsync(HttpMethod.Post, AuthApi.MfaTotpEnable.Path, new { code = await CodeAsync(secret) }), HttpStatusCode.OK);
        var recoveryCodes = enabled.GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString()!).ToList();

        // Ended: its access token on the instance that ended it (the other learns at its next revocation sync), its refresh everywhere.
        await ResponseAssert.ProblemAsync(await phone.CopyTo(api.Client).VerifyAsync(), HttpStatusCode.Unauthorized);
        await ResponseAssert.ProblemAsync(await phone.RefreshAsync(), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await laptop.VerifyAsync()).StatusCode);
        await ResponseAssert.ProblemAsync(await laptop.SendAsync(HttpMethod.Post, AuthApi.MfaTotpSetup.Path, new { password = Password }), HttpStatusCode.Conflict);

        var row = (await new TableClient(azurite.ConnectionString, settings["Auth:Storage:UsersTable"]!).GetEntityAsync<TableEntity>(userId, "user", cancellationToken: Ct)).Value;
        var stored = row.GetString("TotpSecret");
        Assert.StartsWith("v1.", stored, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, stored, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Convert.ToHexString(OtpNet.Base32Encoding.ToBytes(secret)), stored, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("", row.GetString("TotpPending"));
        var storedCodes = row.GetString("RecoveryCodes")!;
        Assert.Equal(10, storedCodes.Split(',').Length);
        Assert.All(recoveryCodes, code => Assert.DoesNotContain(code.Replace("-", ""), storedCodes, StringComparison.OrdinalIgnoreCase));

        Assert.NotEmpty(logs.Messages);
        Assert.DoesNotContain(logs.Messages, m => m.Contains(secret, StringComparison.OrdinalIgnoreCase) || recoveryCodes.Any(c => m.Contains(c, StringComparison.OrdinalIgnoreCase)));
    }

    [Fact]
    public async Task OneStepEitherSideIsAcceptedTwoAreNot()
    {
        var user = await EnrolAsync("mfa-window");
        foreach (var (offset, accepted) in new[] { (-60, false), (60, false), (-30, true), (30, true) })
        {
            clock.Advance(TimeSpan.FromSeconds(90));
            var (client, _) = await FirstStepAsync(api, user.Email);
            var response = await VerifyAsync(client, new { code = await CodeAsync(user.Secret, TimeSpan.FromSeconds(offset)) });
            Assert.True((accepted ? HttpStatusCode.OK : HttpStatusCode.BadRequest) == response.StatusCode, $"offset {offset} s: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task ACodeIsAcceptedOnceAlsoOnTheOtherInstanceAndAnOlderOneNever()
    {
        var user = await EnrolAsync("mfa-replay");
        var code = await CodeAsync(user.Secret);
        var (first, _) = await FirstStepAsync(api, user.Email);
        await ResponseAssert.JsonAsync(await VerifyAsync(first, new { code }), HttpStatusCode.OK);

        var (second, _) = await FirstStepAsync(other, user.Email);
        var replayed = await ResponseAssert.ProblemAsync(await VerifyAsync(second, new { code }), HttpStatusCode.BadRequest);
        Assert.True(replayed.GetProperty("errors").TryGetProperty("code", out _));
        // The previous step's code is still within the window, but older than the one accepted.
        await ResponseAssert.ProblemAsync(await VerifyAsync(second, new { code = await CodeAsync(user.Secret, TimeSpan.FromSeconds(-30)) }), HttpStatusCode.BadRequest);

        clock.Advance(TimeSpan.FromSeconds(30));
        await ResponseAssert.JsonAsync(await VerifyAsync(second, new { code = await CodeAsync(user.Secret) }), HttpStatusCode.OK);
    }

    [Fact]
    public async Task TheSameCodeOrRecoveryCodeAtOnceOnTwoInstancesSignsInExactlyOnce()
    {
        var user = await EnrolAsync("mfa-race");
        var recovery = user.RecoveryCodes[3];
        var (a, _) = await FirstStepAsync(api, user.Email);
        var (b, _) = await FirstStepAsync(other, user.Email);
        var answers = await Task.WhenAll(VerifyAsync(a, new { recoveryCode = recovery }), VerifyAsync(b, new { recoveryCode = recovery.ToUpperInvariant() }));
        Assert.Single(answers, r => r.StatusCode == HttpStatusCode.OK);
        // The loser: the code is spent (400), or, when the later-issued pending sign-in won, its own earlier one is
        // spent with it (401: a completion spends every pending sign-in of the account issued before it).
        Assert.Single(answers, r => r.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized);
        var winner = answers[0].StatusCode == HttpStatusCode.OK ? a : b;
        var session = await ResponseAssert.JsonAsync(await winner.VerifyAsync(), HttpStatusCode.OK);
        Assert.Equal(["pwd", "mfa", "rcv"], session.GetProperty("amr").EnumerateArray().Select(m => m.GetString()));
        var status = await ResponseAssert.JsonAsync(await winner.SendAsync(HttpMethod.Get, AuthApi.MfaStatus.Path), HttpStatusCode.OK);
        Assert.Equal(9, status.GetProperty("recoveryCodesLeft").GetInt32());

        var code = await CodeAsync(user.Secret);
        var (c, _) = await FirstStepAsync(api, user.Email);
        var (d, _) = await FirstStepAsync(other, user.Email);
        var codeAnswers = await Task.WhenAll(VerifyAsync(c, new { code }), VerifyAsync(d, new { code }));
        Assert.Single(codeAnswers, r => r.StatusCode == HttpStatusCode.OK);
    }

    [Fact]
    public async Task ABurstOfWrongCodesOnTwoInstancesIsBoundedAndTheRightPasswordDoesNotResetIt()
    {
        var user = await EnrolAsync("mfa-burst");
        var (a, _) = await FirstStepAsync(api, user.Email);
        var (b, _) = await FirstStepAsync(other, user.Email);
        var right = await CodeAsync(user.Secret);
        var wrong = ((int.Parse(right, CultureInfo.InvariantCulture) + 1) % 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
        var burst = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => VerifyAsync(i % 2 == 0 ? a : b, new { code = wrong })));
        var revealed = burst.Count(r => r.StatusCode == HttpStatusCode.BadRequest);
        Assert.True(revealed <= 5, $"{revealed} outcomes revealed");
        Assert.All(burst, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.BadRequest, HttpStatusCode.TooManyRequests }));

        // The password again (right): the code counter stays where it was.
        var (again, _) = await FirstStepAsync(api, user.Email);
        var refused = await VerifyAsync(again, new { code = right });
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter is not null);
        Assert.Null(again.Access);
    }

    [Fact]
    public async Task APendingSignInExpiresCompletesOnceAndDiesWithAPasswordChange()
    {
        var user = await EnrolAsync("mfa-pending");

        var (late, _) = await FirstStepAsync(api, user.Email);
        clock.Advance(TimeSpan.FromSeconds(301));
        var expired = await ResponseAssert.ProblemAsync(await VerifyAsync(late, new { code = await CodeAsync(user.Secret) }), HttpStatusCode.Unauthorized);
        Assert.Equal("mfa_pending_invalid", expired.GetProperty("code").GetString());

        clock.Advance(TimeSpan.FromSeconds(30));
        var (once, _) = await FirstStepAsync(api, user.Email);
        var pendingValue = once.Cookies["auth-mfa"];
        await ResponseAssert.JsonAsync(await VerifyAsync(once, new { code = await CodeAsync(user.Secret) }), HttpStatusCode.OK);
        clock.Advance(TimeSpan.FromSeconds(30));
        var replay = new SessionClient(other.Client);
        replay.Set("auth-mfa", pendingValue);
        await ResponseAssert.ProblemAsync(await VerifyAsync(replay, new { code = await CodeAsync(user.Secret) }), HttpStatusCode.Unauthorized);

        // A pending cookie edited to name another account fails its MAC.
        var victim = await EnrolAsync("mfa-victim");
        var (mine, _) = await FirstStepAsync(api, user.Email);
        var forged = new SessionClient(api.Client);
        forged.Set("auth-mfa", mine.Cookies["auth-mfa"].Replace(user.UserId, victim.UserId, StringComparison.Ordinal));
        await ResponseAssert.ProblemAsync(await VerifyAsync(forged, new { code = await CodeAsync(victim.Secret) }), HttpStatusCode.Unauthorized);

        // Issued before a password change: void after it.
        clock.Advance(TimeSpan.FromSeconds(30));
        var (before, _) = await FirstStepAsync(api, user.Email);
        var signedIn = (await FirstStepAsync(other, user.Email)).Client;
        await ResponseAssert.JsonAsync(await VerifyAsync(signedIn, new { code = await CodeAsync(user.Secret) }), HttpStatusCode.OK);
        await ResponseAssert.JsonAsync(
            await signedIn.SendAsync(HttpMethod.Post, AuthApi.ChangePassword.Path, new { currentPassword = Password, newPassword = "copper-heron-glacier-9917" }),
            HttpStatusCode.OK);
        clock.Advance(TimeSpan.FromSeconds(30));
        await ResponseAssert.ProblemAsync(await VerifyAsync(before, new { code = await CodeAsync(user.Secret) }), HttpStatusCode.Unauthorized);
    }

    /// <summary>
    /// A right code outside a sign-in (enabling the factor, a step-up before a change) is no failure: it clears its own
    /// place in the second-factor counter. Before, each one stayed counted until the next complete sign-in, so a user who
    /// made FreeFailures changes was throttled at the next sign-in's first typo.
    /// </summary>
    [Fact]
    public async Task RightCodesAtEnableAndStepUpDoNotCountAsFailures()
    {
        var user = await EnrolAsync("mfa-right-codes");
        for (var change = 0; change < 5; change++)
        {
            clock.Advance(TimeSpan.FromSeconds(30));
            await ResponseAssert.JsonAsync(
                await user.Session.SendAsync(HttpMethod.Post, AuthApi.MfaRecoveryCodes.Path, new { password = Password, code = await CodeAsync(user.Secret) }),
                HttpStatusCode.OK);
        }

        clock.Advance(TimeSpan.FromSeconds(StepUpSeconds + 30));
        var (client, _) = await FirstStepAsync(api, user.Email);
        var wrong = await ResponseAssert.ProblemAsync(await VerifyAsync(client, new { code = "000000" == await CodeAsync(user.Secret) ? "111111" : "000000" }), HttpStatusCode.BadRequest);
        Assert.True(wrong.GetProperty("errors").TryGetProperty("code", out _));
        await ResponseAssert.JsonAsync(await VerifyAsync(client, new { code = await CodeAsync(user.Secret) }), HttpStatusCode.OK);
    }

    [Fact]
    public async Task SensitiveChangesAskForACodeOnceTheSessionsCheckIsOlderThanTheStepUpWindow()
    {
        var user = await EnrolAsync("mfa-stepup");
        var (client, _) = await FirstStepAsync(api, user.Email);
        await ResponseAssert.JsonAsync(await VerifyAsync(client, new { code = await CodeAsync(user.Secret) }), HttpStatusCode.OK);

        // Within the window: the password is enough (new recovery codes, then the email change request).
        clock.Advance(TimeSpan.FromSeconds(StepUpSeconds - 10));
        var fresh = await ResponseAssert.JsonAsync(await client.SendAsync(HttpMethod.Post, AuthApi.MfaRecoveryCodes.Path, new { password = Password }), HttpStatusCode.OK);
        Assert.Equal(10, fresh.GetProperty("recoveryCodes").GetArrayLength());
        var oldCode = user.RecoveryCodes[0];

        clock.Advance(TimeSpan.FromSeconds(20));
        (string Route, object Body)[] sensitive =
        [
            (AuthApi.ChangePassword.Path, new { currentPassword = Password, newPassword = "copper-heron-glacier-9917" }),
            (AuthApi.EmailChange.Path, new { newEmail = Emails.Unique("mfa-new"), password = Password }),
            (AuthApi.MfaRecoveryCodes.Path, new { password = Password }),
            (AuthApi.MfaTotpDisable.Path, new { password = Password }),
            (AuthApi.DeleteAccount.Path, new { password = Password }),
        ];
        foreach (var (route, body) in sensitive)
        {
            var refused = await ResponseAssert.ProblemAsync(await client.SendAsync(HttpMethod.Post, route, body), HttpStatusCode.BadRequest);
            Assert.True(refused.GetProperty("errors").TryGetProperty("code", out _), route);
        }

        // An old recovery code (replaced above) is refused; a code is accepted and counts as this session's latest check.
        var stale = await ResponseAssert.ProblemAsync(
            await client.SendAsync(HttpMethod.Post, AuthApi.MfaTotpDisable.Path, new { password = Password, recoveryCode = oldCode }), HttpStatusCode.BadRequest);
        Assert.True(stale.GetProperty("errors").TryGetProperty("recoveryCode", out _));
        var changed = await client.SendAsync(
            HttpMethod.Post, AuthApi.ChangePassword.Path, new { currentPassword = Password, newPassword = "copper-heron-glacier-9917", code = await CodeAsync(user.Secret) });
        var session = await ResponseAssert.JsonAsync(changed, HttpStatusCode.OK);
        Assert.Equal(["pwd", "otp", "mfa"], session.GetProperty("amr").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(HttpStatusCode.NoContent, (await client.SendAsync(HttpMethod.Post, AuthApi.MfaTotpDisable.Path, new { password = "copper-heron-glacier-9917" })).StatusCode);

        var status = await ResponseAssert.JsonAsync(await client.SendAsync(HttpMethod.Get, AuthApi.MfaStatus.Path), HttpStatusCode.OK);
        Assert.False(status.GetProperty("totp").GetBoolean());
        var plain = await ResponseAssert.JsonAsync(await new SessionClient(other.Client).LoginAsync(user.Email, "copper-heron-glacier-9917"), HttpStatusCode.OK);
        Assert.Equal("signed_in", plain.GetProperty("status").GetString());
        Assert.Equal(["pwd"], plain.GetProperty("amr").EnumerateArray().Select(m => m.GetString()));
    }

    [Fact]
    public async Task AnAppEndpointCanRequireARecentSecondFactor()
    {
        var user = await EnrolAsync("mfa-policy");
        var passwordOnly = new SessionClient(api.Client);
        Assert.Equal(HttpStatusCode.Created, (await passwordOnly.SignupAsync(Emails.Unique("mfa-none"), Password)).StatusCode);
        var refused = await ResponseAssert.ProblemAsync(await passwordOnly.SendAsync(HttpMethod.Get, SensitivePath), HttpStatusCode.Forbidden);
        Assert.Equal("policy_not_met", refused.GetProperty("code").GetString());
        await ResponseAssert.ProblemAsync(await new SessionClient(api.Client).SendAsync(HttpMethod.Get, SensitivePath), HttpStatusCode.Unauthorized);

        var (client, _) = await FirstStepAsync(api, user.Email);
        await ResponseAssert.JsonAsync(await VerifyAsync(client, new { code = await CodeAsync(user.Secret) }), HttpStatusCode.OK);
        var allowed = await client.SendAsync(HttpMethod.Get, SensitivePath);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal("ok", await allowed.Content.ReadAsStringAsync(Ct));

        clock.Advance(TimeSpan.FromSeconds(61));
        await ResponseAssert.ProblemAsync(await client.SendAsync(HttpMethod.Get, SensitivePath), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task TheStoredHashIsFencedWhileAFactorIsOnSoAnEarlierReleaseRefusesThePassword()
    {
        var user = await EnrolAsync("mfa-fence");
        var table = new TableClient(azurite.ConnectionString, settings["Auth:Storage:UsersTable"]!);
        var fenced = (await table.GetEntityAsync<TableEntity>(user.UserId, "user", cancellationToken: Ct)).Value.GetString("PasswordHash");
        Assert.StartsWith("2fa:$argon2id$", fenced, StringComparison.Ordinal);

        var (client, _) = await FirstStepAsync(api, user.Email);
        await ResponseAssert.JsonAsync(await VerifyAsync(client, new { code = await CodeAsync(user.Secret) }), HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.NoContent, (await client.SendAsync(HttpMethod.Post, AuthApi.MfaTotpDisable.Path, new { password = Password })).StatusCode);
        var plain = (await table.GetEntityAsync<TableEntity>(user.UserId, "user", cancellationToken: Ct)).Value.GetString("PasswordHash");
        Assert.StartsWith("$argon2id$", plain, StringComparison.Ordinal);
        Assert.Equal(fenced!["2fa:".Length..], plain);
    }

    [Fact]
    public async Task APendingSignInFromAnInstanceWhoseClockIsAFewSecondsAheadCompletesOnAnother()
    {
        var user = await EnrolAsync("mfa-skew");
        var ahead = new FakeTimeProvider(clock.GetUtcNow() + TimeSpan.FromSeconds(10));
        await using var aheadApi = await TestApi.StartAsync(
            settings, builder => { builder.Services.AddSingleton<TimeProvider>(ahead); builder.Services.RemoveMailAndCleanup(); }, cancellationToken: Ct);
        var (client, _) = await FirstStepAsync(aheadApi, user.Email);
        await ResponseAssert.JsonAsync(await VerifyAsync(client.CopyTo(api.Client), new { code = await CodeAsync(user.Secret) }), HttpStatusCode.OK);
    }

    [Fact]
    public async Task APasswordResetKeepsTheFactor()
    {
        var user = await EnrolAsync("mfa-reset");
        var users = api.Service<Serverless.Auth.Accounts.UserRepository>();
        var account = (await users.FindByIdAsync(user.UserId, null, Ct))!;
        Assert.True(await users.TryResetPasswordAsync(account, account.PasswordHash, Ct));
        await FirstStepAsync(other, user.Email);
    }

    /// <summary>Every log line the apps write, formatted.</summary>
    private sealed class LogCollector : ILoggerProvider
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> messages = new();

        public IReadOnlyCollection<string> Messages => messages;

        public ILogger CreateLogger(string categoryName) => new Collector(messages);

        public void Dispose()
        {
        }

        private sealed class Collector(System.Collections.Concurrent.ConcurrentQueue<string> messages) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                messages.Enqueue(formatter(state, exception) + " " + exception);
        }
    }
}
