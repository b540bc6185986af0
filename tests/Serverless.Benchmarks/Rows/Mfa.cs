using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OtpNet;
using Serverless.Auth.Accounts;
using Serverless.Auth.Http;
using Serverless.Auth.Mfa;
using Serverless.Auth.Sessions;
using Serverless.Auth.Throttling;
using Serverless.Benchmarks.Infrastructure;
using Serverless.Testing;

namespace Serverless.Benchmarks;

internal sealed partial class Suite
{
    /// <summary>
    /// Issue 28: the second step (<c>POST /api/auth/mfa/verify</c>) vs its own storage phases done directly through the
    /// same services; and the first step of an MFA login vs a password-only login. Two passes over the same accounts:
    /// first the logins (the two kinds alternating, and which goes first alternating), then the second steps of those
    /// sign-ins interleaved with the storage phases (which goes first alternating). So neither a second step nor a
    /// storage-phase sample runs in the wake of an Argon2 hash (its 19 MiB buffer collected as it ends) while the other
    /// does not.
    /// </summary>
    private async Task MfaAsync(TestApi api)
    {
        Section("mfa: the second step vs its storage phases; the first step vs a password-only login");
        var samples = Count(80, 12);
        var accounts = new List<(string Email, string Secret)>();
        for (var i = 0; i < samples; i++)
        {
            accounts.Add(await EnrolAsync(api, $"mfa{i}@bench.test"));
        }

        var floorUser = await EnrolAsync(api, "mfa-floor@bench.test");
        var floorAccount = (await api.Service<UserRepository>().FindByEmailAsync(floorUser.Email, CancellationToken.None))!;

        // Every account accepted a code of its enrolment's step: its sign-in needs a later one (a step is accepted once).
        await Task.Delay(TimeSpan.FromSeconds(new Totp(new byte[20]).RemainingSeconds() + 1));

        var firstSteps = new List<double>();
        var plainLogins = new List<double>();
        var browsers = new List<Browser>();
        try
        {
            var plain = await SignedUpAsync(api, "mfa-plain0@bench.test");
            for (var i = 0; i < samples; i++)
            {
                if (i > 0 && i % 40 == 0)
                {
                    // A fresh account before the session cap (50) would end sessions on login: that work is not a login's.
                    plain = await SignedUpAsync(api, $"mfa-plain{i}@bench.test");
                }

                var browser = new Browser(api.BaseAddress);
                browsers.Add(browser);
                using var plainBrowser = new Browser(api.BaseAddress);
                var email = accounts[i].Email;
                Task<(double Milliseconds, string Status)> FirstStep() => TimedAsync(() => browser.PostAsync(AuthApi.Login.Path, new { email, password = ApiClient.Password }));
                Task<(double Milliseconds, string Status)> PlainLogin() => TimedAsync(() => plainBrowser.PostAsync(AuthApi.Login.Path, new { email = plain, password = ApiClient.Password }));
                var (first, plainLogin) = i % 2 == 0 ? (await FirstStep(), await PlainLogin()) : Swap(await PlainLogin(), await FirstStep());
                Expect(first.Status, "mfa_required", "the first step");
                Expect(plainLogin.Status, "signed_in", "a password-only login");
                firstSteps.Add(first.Milliseconds);
                plainLogins.Add(plainLogin.Milliseconds);
            }

            var verifies = new List<double>();
            var floors = new List<double>();
            var bares = new List<double>();
            var (verifyFirst, verifySecond) = (new List<double>(), new List<double>());
            for (var i = 0; i < samples; i++)
            {
                var browser = browsers[i];
                var code = new Totp(Base32Encoding.ToBytes(accounts[i].Secret)).ComputeTotp();
                Task<(double Milliseconds, string Status)> Verify() => TimedAsync(() => browser.PostAsync(AuthApi.MfaVerify.Path, new { code }));
                (double Milliseconds, string Status) verify;
                if (i % 2 == 0)
                {
                    verify = await Verify();
                    floors.Add(await SecondStepStorageAsync(api, floorAccount.UserId));
                    verifyFirst.Add(verify.Milliseconds);
                }
                else
                {
                    floors.Add(await SecondStepStorageAsync(api, floorAccount.UserId));
                    verify = await Verify();
                    verifySecond.Add(verify.Milliseconds);
                }

                Expect(verify.Status, "signed_in", "the second step");
                verifies.Add(verify.Milliseconds);
                // The second step goes over its login's kept-alive connection: so does the timed bare request.
                using var bareBrowser = new Browser(api.BaseAddress);
                (await bareBrowser.GetAsync(BareServer.Path)).Dispose();
                bares.Add((await TimedAsync(() => bareBrowser.GetAsync(BareServer.Path))).Milliseconds);
            }

            var (verifyP50, floorP50) = (Stats.Median(verifies), Stats.Median(floors));
            report.Add(new Row($"mfa/verify (issue 28): `POST /api/auth/mfa/verify` p50 ({verifies.Count} sign-ins, one per account, each with its login's pending cookie) vs its storage phases done directly through the same services, interleaved, which goes first alternating (account read; counter reserve; account ETag merge; session insert + list and device count in parallel; counter clear)",
                $"{Ms(verifyP50)} vs {Ms(floorP50)}", "≤ 1.3×", Ratio(verifyP50 / floorP50), verifyP50 / floorP50 <= 1.3));
            var (firstP50, plainP50) = (Stats.Median(firstSteps), Stats.Median(plainLogins));
            report.Add(new Row($"mfa first step (issue 28): `POST /api/auth/login` p50 for accounts with TOTP (answers mfa_required, writes no session) vs a password-only login, alternating (which goes first alternating), {firstSteps.Count} each",
                $"{Ms(firstP50)} vs {Ms(plainP50)}", "≤ 1.05×", Ratio(firstP50 / plainP50), firstP50 / plainP50 <= 1.05));
            var bareP50 = Stats.Median(bares);
            report.Note($"mfa: verify p90 {Ms(Stats.Percentile(verifies, 90))}, storage phases p90 {Ms(Stats.Percentile(floors, 90))}; verify p50 when it went first {Ms(Stats.Median(verifyFirst))}, second {Ms(Stats.Median(verifySecond))}. "
                + $"An HTTP round trip to the bare endpoint on the same host (kept-alive connection), in the same loop: p50 {Ms(bareP50)}; verify − storage phases − round trip = {Ms(verifyP50 - floorP50 - bareP50)} "
                + $"(the request checks, the pending cookie's MAC, opening the sealed secret, TOTP, the JWT, cookies and body). First step p90 {Ms(Stats.Percentile(firstSteps, 90))} vs password-only p90 {Ms(Stats.Percentile(plainLogins, 90))}: "
                + "the first step writes no session and no device, and the Argon2 check dominates both.");
        }
        finally
        {
            browsers.ForEach(b => b.Dispose());
        }
    }

    private static (T First, T Second) Swap<T>(T second, T first) => (first, second);

    /// <summary>
    /// What the second step stores, done directly through the app's own services and in the endpoint's order, for an
    /// enrolled account of its own: milliseconds. The session row is the one the endpoint writes (amr, second-factor time).
    /// </summary>
    private static async Task<double> SecondStepStorageAsync(TestApi api, string userId)
    {
        var users = api.Service<UserRepository>();
        var throttle = api.Service<LoginThrottle>();
        var sessions = api.Service<SessionService>();
        var accounts = api.Service<AccountService>();
        var key = ThrottleKey.SecondFactor(userId);
        var started = Stopwatch.GetTimestamp();
        var account = await users.FindByIdAsync(userId, null, CancellationToken.None) ?? throw new InvalidOperationException("the floor account is gone");
        var reservation = await throttle.ReserveAsync(key, known: null, CancellationToken.None);
        var written = await users.TryWriteMfaAsync(
            account, account.Mfa with { TotpLastStep = account.Mfa.TotpLastStep + 1, PendingFloor = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }, CancellationToken.None)
            ?? throw new InvalidOperationException("the floor account changed");
        var recording = accounts.RecordDeviceAsync(written, CancellationToken.None);
        var starting = sessions.StartAsync(
            written.UserId, written.Email, written.EmailConfirmed, true, null, CancellationToken.None, DeviceCookies.NewDeviceId(),
            amr: Amr.WithSecondFactor("otp"), secondFactorAt: DateTimeOffset.UtcNow);
        await Task.WhenAll(recording, starting);
        await throttle.ClearAsync(key, reservation, CancellationToken.None);
        var elapsed = ElapsedMs(started);
        // Not timed: the session cap would otherwise end sessions (revocation writes) once it is reached.
        await sessions.EndAsync(written.UserId, (await starting).Session.SessionId, CancellationToken.None);
        return elapsed;
    }

    private static async Task<(string Email, string Secret)> EnrolAsync(TestApi api, string email)
    {
        using var browser = new Browser(api.BaseAddress);
        var signup = await browser.PostAsync(AuthApi.Signup.Path, new { email, password = ApiClient.Password });
        Require(signup, 201, "signup");
        var setup = await browser.PostAsync(AuthApi.MfaTotpSetup.Path, new { password = ApiClient.Password });
        Require(setup, 200, "TOTP setup");
        var secret = JsonDocument.Parse(await setup.Content.ReadAsStringAsync()).RootElement.GetProperty("secret").GetString()!;
        var enable = await browser.PostAsync(AuthApi.MfaTotpEnable.Path, new { code = new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp() });
        Require(enable, 200, "TOTP enable");
        return (email, secret);
    }

    private static async Task<string> SignedUpAsync(TestApi api, string email)
    {
        using var browser = new Browser(api.BaseAddress);
        Require(await browser.PostAsync(AuthApi.Signup.Path, new { email, password = ApiClient.Password }), 201, "signup");
        return email;
    }

    private static async Task<(double Milliseconds, string Status)> TimedAsync(Func<Task<HttpResponseMessage>> call)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await call();
        var body = await response.Content.ReadAsStringAsync();
        var elapsed = ElapsedMs(started);
        return (elapsed, !response.IsSuccessStatusCode ? $"{(int)response.StatusCode}: {body}"
            : JsonDocument.Parse(body).RootElement.TryGetProperty("status", out var status) ? status.GetString() ?? "" : "");
    }

    private static void Expect(string status, string expected, string what)
    {
        if (status != expected)
        {
            throw new InvalidOperationException($"{what}: expected {expected}, got {status}");
        }
    }

    private static void Require(HttpResponseMessage response, int status, string what)
    {
        if ((int)response.StatusCode != status)
        {
            throw new InvalidOperationException($"{what}: expected {status}, got {(int)response.StatusCode}");
        }
    }
}
