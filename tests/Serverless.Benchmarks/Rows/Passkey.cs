using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.IdentityModel.Tokens;
using Serverless.Auth.Accounts;
using Serverless.Auth.Http;
using Serverless.Auth.Mfa;
using Serverless.Auth.Passkeys;
using Serverless.Auth.Sessions;
using Serverless.Auth.Storage;
using Serverless.Auth.Throttling;
using Serverless.Benchmarks.Infrastructure;
using Serverless.Testing;

namespace Serverless.Benchmarks;

internal sealed partial class Suite
{
    /// <summary>
    /// Issue 29: a passkey sign-in (<c>POST /api/auth/passkeys/login</c> with a fresh assertion from the software
    /// authenticator) vs a refresh (<c>POST /api/auth/refresh</c>, one chain, as the refresh group sends it) plus one
    /// Azure Table point read (the account row, Azure.Data.Tables from this process), interleaved in one loop, which goes
    /// first rotating. Getting the options, making the assertion and signing out after are not timed. The same loop times
    /// the sign-in's phases done directly through the app's services for an account of their own, for the breakdown.
    /// </summary>
    private async Task PasskeyAsync(TestApi api, ApiClient client, string connectionString)
    {
        Section("passkey sign-in vs refresh + one point read");
        using var browser = new Browser(api.BaseAddress);
        using var authenticator = new SoftwareAuthenticator(TestApi.Frontend, "localhost");
        var userId = await SignUpWithPasskeyAsync(browser, authenticator, "passkey@bench.test");
        Require(await browser.PostAsync(AuthApi.Logout.Path), 204, "sign-out after the registration");
        if (!browser.Holds(ApiClient.DeviceCookieName))
        {
            throw new InvalidOperationException("the browser holds no device cookie after signing up: the sign-ins would each write a new device");
        }

        using var floorBrowser = new Browser(api.BaseAddress);
        using var floorAuthenticator = new SoftwareAuthenticator(TestApi.Frontend, "localhost");
        var floorUserId = await SignUpWithPasskeyAsync(floorBrowser, floorAuthenticator, "passkey-floor@bench.test");

        var signup = await client.SignupSessionAsync("passkey-refresh@bench.test");
        var (chain, device) = (signup.Refresh!, signup.Device!);
        var users = new TableClient(connectionString, "Users" + MainTables);

        var signIns = new List<double>();
        var refreshes = new List<double>();
        var reads = new List<double>();
        var phases = new List<PasskeyPhases>();
        var firsts = new List<double>();
        var (signInCpu, refreshCpu) = (new CpuTally(azuritePid), new CpuTally(azuritePid));
        const int warmUp = 20;
        for (var i = 0; i < warmUp + Count(300, 40); i++)
        {
            // Not timed: the options (the challenge cookie) and the authenticator's answer.
            using var options = await browser.PostAsync(AuthApi.PasskeyLoginOptions.Path);
            Require(options, 200, "passkey sign-in options");
            var credential = authenticator.Assert(JsonDocument.Parse(await options.Content.ReadAsStringAsync()).RootElement);

            (double Milliseconds, string Status) signIn = (0, "not run");
            var (refresh, read) = (0.0, 0.0);
            PasskeyPhases phase = null!;
            async Task SignIn() => signIn = await TimedAsync(() => browser.PostAsync(AuthApi.PasskeyLogin.Path, new { credential }));
            async Task Refresh()
            {
                var outcome = await ApiClient.TimeAsync(() => client.RefreshAsync(chain, device));
                Expect(outcome, 200, "refresh");
                (chain, refresh) = (outcome.Refresh ?? throw new InvalidOperationException("refresh answered 200 without rotating"), outcome.Milliseconds);
            }

            async Task Read()
            {
                var started = Stopwatch.GetTimestamp();
                var row = await users.GetEntityIfExistsAsync<TableEntity>(userId, "user");
                read = ElapsedMs(started);
                if (!row.HasValue)
                {
                    throw new InvalidOperationException("the account row is not where the point read looks");
                }
            }

            async Task Phases() => phase = await PasskeyPhasesAsync(api, floorUserId, floorAuthenticator);
            Func<Task>[] steps = [() => signInCpu.MeasureAsync(SignIn, i >= warmUp), () => refreshCpu.MeasureAsync(Refresh, i >= warmUp), Read, Phases];
            for (var k = 0; k < steps.Length; k++)
            {
                await steps[(i + k) % steps.Length]();
            }

            Expect(signIn.Status, SessionResponse.SignedIn, "the passkey sign-in");
            // Not timed: signed out again, so the account's session list stays one row long (no cap reached, no list growing).
            Require(await browser.PostAsync(AuthApi.Logout.Path), 204, "sign-out");
            if (i >= warmUp)
            {
                signIns.Add(signIn.Milliseconds);
                refreshes.Add(refresh);
                reads.Add(read);
                phases.Add(phase);
                if (i % steps.Length == 0)
                {
                    firsts.Add(signIn.Milliseconds);
                }
            }
        }

        var (signInP50, refreshP50, readP50) = (Stats.Median(signIns), Stats.Median(refreshes), Stats.Median(reads));
        var yardstick = refreshP50 + readP50;
        report.Add(new Row($"passkey sign-in (issue 29): `POST /api/auth/passkeys/login` p50 ({signIns.Count} sign-ins, each a fresh assertion from the software authenticator, a returning browser with its device cookie) vs `POST /api/auth/refresh` p50 (one chain) + one Azure Table point read p50 (the account row, Azure.Data.Tables), interleaved, which goes first rotating",
            $"{Ms(signInP50)} vs {Ms(refreshP50)} + {Ms(readP50)} = {Ms(yardstick)}", "≤ 1.2×", Ratio(signInP50 / yardstick), signInP50 / yardstick <= 1.2));
        double P50(Func<PasskeyPhases, double> of) => Stats.Median(phases.Select(of));
        var verifyUs = await VerificationMicrosecondsAsync(api, floorUserId, floorAuthenticator);
        var phasesP50 = P50(p => p.Total);
        report.Note($"passkey: sign-in p90 {Ms(Stats.Percentile(signIns, 90))}, p50 when it went first {Ms(Stats.Median(firsts))}; refresh p90 {Ms(Stats.Percentile(refreshes, 90))}; point read p90 {Ms(Stats.Percentile(reads, 90))}. "
            + $"The sign-in's phases done directly through the app's services as the endpoint does them (same loop, an account and passkey of their own, p50): "
            + $"account + passkey rows read in parallel (the partition the user handle names) {Ms(P50(p => p.Reads))}; Fido2 verification {Ms(P50(p => p.Verify))} "
            + $"(alone in a loop on one thread, no storage: {verifyUs:F0} µs a call); the use's ETag merge in parallel with the session's insert and list {Ms(P50(p => p.UseAndSession))}; "
            + $"together {Ms(phasesP50)} (p90 {Ms(Stats.Percentile(phases.Select(p => p.Total), 90))}). "
            + $"Sign-in − phases = {Ms(signInP50 - phasesP50)} (HTTP, the request checks, the challenge cookie's MAC, the JWT, cookies and body). "
            + $"CPU per call (mean over the samples; this process by getrusage, with the thread pool's spinning while it waits, Azurite by /proc ticks of 10 ms): "
            + $"sign-in {signInCpu.OwnMs:F2} ms in this process (server + client) + {signInCpu.AzuriteMs:F2} ms in Azurite, "
            + $"refresh {refreshCpu.OwnMs:F2} ms + {refreshCpu.AzuriteMs:F2} ms. "
            + $"Storage round trips in sequence: sign-in 2 (account ∥ passkey; the use's merge ∥ session insert ∥ list), refresh 3 (account ∥ session; replace; cut-off read), the yardstick 4.");
    }

    /// <summary>A sign-in challenge made here (not by the endpoint) and the authenticator's answer to it, as the endpoint reads it.</summary>
    private static (IssuedChallenge Challenge, PasskeyCredential Credential, byte[] CredentialId) SignInAssertion(SoftwareAuthenticator authenticator)
    {
        var challenge = new IssuedChallenge(CeremonyKind.SignIn, "", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), RandomNumberGenerator.GetBytes(PasskeyChallenges.ChallengeBytes));
        var options = JsonSerializer.SerializeToElement(new { challenge = Base64UrlEncoder.Encode(challenge.Challenge), rpId = "localhost", allowCredentials = Array.Empty<object>(), userVerification = "required" });
        var credential = authenticator.Assert(options).Deserialize<PasskeyCredential>(JsonSerializerOptions.Web)!;
        return (challenge, credential, PasskeyCeremony.CredentialIdOf(credential).CredentialId!);
    }

    /// <summary>The Fido2 verification alone (no storage), one thread, the same assertion again and again: microseconds per call.</summary>
    private async Task<double> VerificationMicrosecondsAsync(TestApi api, string userId, SoftwareAuthenticator authenticator)
    {
        var ceremony = api.Service<PasskeyCeremony>();
        var (challenge, credential, credentialId) = SignInAssertion(authenticator);
        var passkey = await api.Service<PasskeyRepository>().GetAsync(userId, credentialId, CancellationToken.None) ?? throw new InvalidOperationException("the floor passkey is gone");
        async Task VerifyAsync()
        {
            if ((await ceremony.VerifyAssertionAsync(credential, passkey, challenge, CancellationToken.None)).Result is null)
            {
                throw new InvalidOperationException("the floor assertion did not verify");
            }
        }

        for (var i = 0; i < 100; i++)
        {
            await VerifyAsync();
        }

        var iterations = Count(2_000, 500);
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < iterations; i++)
        {
            await VerifyAsync();
        }

        return Stopwatch.GetElapsedTime(started).TotalMicroseconds / iterations;
    }

    /// <summary>The CPU time calls take, summed: this process's (the in-process server and the client) and Azurite's.</summary>
    private sealed class CpuTally(int? azuritePid)
    {
        private TimeSpan own, azurite;
        private int calls;

        public double OwnMs => own.TotalMilliseconds / Math.Max(1, calls);

        public double AzuriteMs => azurite.TotalMilliseconds / Math.Max(1, calls);

        /// <summary>Runs <paramref name="call"/>; adds its CPU time when <paramref name="counted"/> (past the warm-up).</summary>
        public async Task MeasureAsync(Func<Task> call, bool counted)
        {
            var (ownBefore, azuriteBefore) = (Environment.CpuUsage.TotalTime, AzuriteCpu());
            await call();
            if (counted)
            {
                (own, azurite, calls) = (own + Environment.CpuUsage.TotalTime - ownBefore, azurite + AzuriteCpu() - azuriteBefore, calls + 1);
            }
        }

        private TimeSpan AzuriteCpu() => azuritePid is { } pid ? ProcessCpu.Of(pid) : TimeSpan.Zero;
    }

    /// <summary>Signs up in <paramref name="browser"/>, adds a passkey from <paramref name="authenticator"/> (re-authenticating with the password): the user id.</summary>
    private static async Task<string> SignUpWithPasskeyAsync(Browser browser, SoftwareAuthenticator authenticator, string email)
    {
        var signup = await browser.PostAsync(AuthApi.Signup.Path, new { email, password = ApiClient.Password });
        Require(signup, 201, "signup");
        var userId = JsonDocument.Parse(await signup.Content.ReadAsStringAsync()).RootElement.GetProperty("userId").GetString()!;
        var options = await browser.PostAsync(AuthApi.PasskeyRegisterOptions.Path, new { password = ApiClient.Password });
        Require(options, 200, "passkey registration options");
        var credential = authenticator.Register(JsonDocument.Parse(await options.Content.ReadAsStringAsync()).RootElement);
        Require(await browser.PostAsync(AuthApi.PasskeyRegister.Path, new { credential }), 200, "passkey registration");
        return userId;
    }

    /// <summary>Milliseconds of each phase of a passkey sign-in, and of all of them in a row.</summary>
    private sealed record PasskeyPhases(double Reads, double Verify, double UseAndSession, double Total);

    /// <summary>
    /// What <c>POST /api/auth/passkeys/login</c> does past HTTP, done directly through the app's services in the endpoint's
    /// order (<see cref="PasskeySignIns"/>: the rows of the account the user handle names, the verification, then the use's
    /// write and the session at once, the browser's device cookie honoured: no device write), for the floor account's
    /// passkey with an assertion of a challenge made here. The session is ended after the timer stops.
    /// </summary>
    private static async Task<PasskeyPhases> PasskeyPhasesAsync(TestApi api, string userId, SoftwareAuthenticator authenticator)
    {
        var passkeys = api.Service<PasskeyRepository>();
        var users = api.Service<UserRepository>();
        var ceremony = api.Service<PasskeyCeremony>();
        var sessions = api.Service<SessionService>();
        var (challenge, credential, credentialId) = SignInAssertion(authenticator);
        var owner = PasskeyCeremony.CredentialIdOf(credential).HandleUserId ?? throw new InvalidOperationException("the floor assertion has no user handle");

        var started = Stopwatch.GetTimestamp();
        var reading = users.FindByIdAsync(owner, emailHint: null, CancellationToken.None);
        var passkey = await passkeys.GetAsync(owner, credentialId, CancellationToken.None) ?? throw new InvalidOperationException("the floor passkey is gone");
        var account = await reading ?? throw new InvalidOperationException("the floor account is gone");
        var reads = ElapsedMs(started);

        var at = Stopwatch.GetTimestamp();
        var (result, _, refusal) = await ceremony.VerifyAssertionAsync(credential, passkey, challenge, CancellationToken.None);
        var verify = ElapsedMs(at);
        if (result is null || owner != userId)
        {
            throw new InvalidOperationException("the floor assertion did not verify: " + refusal?.Reason);
        }

        at = Stopwatch.GetTimestamp();
        var recording = passkeys.TryRecordUseAsync(passkey, result.SignCount, result.IsBackedUp, challenge.IssuedAt, null, null, CancellationToken.None);
        var starting = sessions.StartAsync(
            account.UserId, account.Email, account.EmailConfirmed, true, null, CancellationToken.None, DeviceCookies.NewDeviceId(), amr: Amr.WithPasskey("hwk"), secondFactorAt: DateTimeOffset.UtcNow);
        await Task.WhenAll(recording, starting);
        var useAndSession = ElapsedMs(at);
        var total = ElapsedMs(started);
        if (!await recording)
        {
            throw new InvalidOperationException("the floor passkey's row changed");
        }

        await sessions.EndAsync(account.UserId, (await starting).Session.SessionId, CancellationToken.None);
        return new PasskeyPhases(reads, verify, useAndSession, total);
    }
}
