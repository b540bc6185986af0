using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Serverless.Auth.Accounts;
using Serverless.Auth.Events;
using Serverless.Auth.Http;
using Serverless.Auth.Oidc;
using Serverless.Auth.Sessions;
using Serverless.Auth.Storage;
using Serverless.Auth.Throttling;
using Serverless.Benchmarks.Infrastructure;
using Serverless.Testing;

namespace Serverless.Benchmarks;

internal sealed partial class Suite
{
    private const string OidcProviderName = "rogue";
    private const string OidcReturnTo = TestApi.Frontend + "/auth/return";

    /// <summary>
    /// Issue 30: a social sign-in's two requests, <c>GET /api/auth/oidc/{provider}/callback</c> (state cookie, code redeemed
    /// at the provider, ID token validated with the cached JWKS, account resolved, one-time code issued) then
    /// <c>POST /api/auth/oidc/exchange</c> (the one-time code and the frontend's verifier for the session), timed together,
    /// vs login's storage phases: everything <c>POST /api/auth/login</c> waits on storage for past its hash, done directly
    /// through the app's services as the login runs them today: backoff read ∥ account read (identity, then account); backoff
    /// clear ∥ the session's start (insert ∥ list ∥ the account read again, issue 31's disable race); the <c>login.succeeded</c>
    /// event (user row ∥ fleet row, issue 31). The reservation write a login sends while it hashes is made between the first
    /// two, not timed: the hash hides it. The yardstick as it was before issue 31's additions (the first two phases, the session
    /// started without the re-read, no event) is measured in the same loop too, for comparison with the earlier runs. In one
    /// loop, which goes first rotating.
    /// <para>
    /// The provider is <see cref="RogueOidcProvider"/> in this process, answering its token endpoint from memory (the ID token
    /// is signed when the frontend step makes the code, not timed). Its own time, the API's token request as the API's
    /// HttpClient timed it (<c>http.client.request.duration</c> for the stub's port), is subtracted sign-in by sign-in.
    /// One returning user (the same subject, linked by the first sign-in during the warm-up) in a returning browser (its
    /// device cookie): the common case. The API instance is the group's own (tables <c>*Oidc</c>), without its mail sender.
    /// </para>
    /// </summary>
    private async Task OidcAsync(string connectionString, string signingKey)
    {
        Section("oidc: callback + exchange (provider's time excluded) vs login's storage phases");
        await using var rogue = await RogueOidcProvider.StartAsync("bench-client");
        var signed = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        rogue.TokenResponse = request => request.Code is { } code && signed.TryRemove(code, out var idToken)
            ? Results.Json(new { access_token = "bench-access-token", token_type = "Bearer", expires_in = 300, id_token = idToken })
            : Results.Json(new { error = "invalid_grant" }, statusCode: StatusCodes.Status400BadRequest);

        var settings = ApiSettings.Create(connectionString, "Oidc", signingKey);
        settings[$"Auth:Oidc:Providers:{OidcProviderName}:Authority"] = rogue.Issuer;
        settings[$"Auth:Oidc:Providers:{OidcProviderName}:ClientId"] = rogue.ClientId;
        settings[$"Auth:Oidc:Providers:{OidcProviderName}:ClientSecret"] = "bench-client-secret-0123456789abcdef";
        settings[$"Auth:Oidc:Providers:{OidcProviderName}:TrustEmail"] = "true";
        var storage = new StorageOperations();
        var bare = new BareEndpoint();
        await using var api = await TestApi.StartAsync(settings, builder =>
        {
            ApiSettings.WithoutMailSender(builder);
            builder.Services.PostConfigure<StorageOptions>(o => o.PipelineObserver = storage);
        }, bare.Map);
        using var tokenRequests = new ClientRequestTimer(new Uri(rogue.Issuer).Port, HttpMethods.Post);

        // The login side: an account of its own (signed up over HTTP), and the device cookie its browser got: the phases
        // present it as a returning browser's login does (its own backoff row; honoured: no device write; the session bound
        // to that device). The yardstick as it was before issue 31 bound its sessions to a device id of its own.
        const string loginEmail = "oidc-login@bench.test";
        string loginDeviceCookie;
        using (var loginBrowser = new Browser(api.BaseAddress))
        {
            Require(await loginBrowser.PostAsync(AuthApi.Signup.Path, new { email = loginEmail, password = ApiClient.Password }), 201, "signup");
            Require(await loginBrowser.PostAsync(AuthApi.Logout.Path), 204, "sign-out after the signup");
            var deviceCookieName = api.Service<DeviceCookies>().Cookie.Name;
            loginDeviceCookie = deviceCookieName + "=" + (loginBrowser.CookieValue(deviceCookieName) ?? throw new InvalidOperationException("the signup set no device cookie"));
        }

        var loginDevice = DeviceCookies.NewDeviceId();

        using var browser = new Browser(api.BaseAddress);
        var flows = new List<double>();
        var withProvider = new List<double>();
        var callbacks = new List<double>();
        var exchanges = new List<double>();
        var tokens = new List<double>();
        var phases = new List<LoginStoragePhases>();
        var phasesBefore = new List<LoginStoragePhases>();
        var bares = new List<double>();
        var firsts = new List<double>();
        List<string>? callbackOps = null, exchangeOps = null, phaseOps = null, beforeOps = null;
        var (discoveryFetches, jwksFetches) = (0, 0);
        var (flowCpu, phasesCpu) = (new CpuTally(azuritePid), new CpuTally(azuritePid));
        const int warmUp = 20;
        for (var i = 0; i < warmUp + Count(300, 40); i++)
        {
            if (i == warmUp)
            {
                (discoveryFetches, jwksFetches) = (rogue.DiscoveryRequests, rogue.JwksRequests);
            }

            // Not timed: the frontend's start (the state cookie, the authorize URL) and the provider's sign-in page.
            var (verifier, callbackUrl) = await StartAtProviderAsync(browser, rogue, signed);
            storage.Take();
            tokenRequests.Take();

            OidcSignIn flow = null!;
            LoginStoragePhases phase = null!, before = null!;
            double bareMs = 0;
            async Task Flow() => await flowCpu.MeasureAsync(async () => flow = await CallbackAndExchangeAsync(browser, callbackUrl, verifier, tokenRequests, storage), i >= warmUp);
            async Task Phases()
            {
                Func<Task> endSession = null!;
                await phasesCpu.MeasureAsync(async () => (phase, endSession) = await LoginStoragePhasesAsync(api, loginEmail, loginDeviceCookie, storage), i >= warmUp);
                await endSession();
            }

            async Task PhasesBefore()
            {
                var (measured, endSession) = await LoginStoragePhasesBeforeEventsAsync(api, loginEmail, loginDevice, storage);
                before = measured;
                await endSession();
            }

            async Task Bare()
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await browser.GetAsync(BareServer.Path);
                await response.Content.ReadAsByteArrayAsync();
                bareMs = ElapsedMs(started);
            }

            Func<Task>[] steps = [Flow, Phases, PhasesBefore, Bare];
            for (var k = 0; k < steps.Length; k++)
            {
                await steps[(i + k) % steps.Length]();
            }

            // Not timed: signed out again, so the account's session list stays one row long.
            Require(await browser.PostAsync(AuthApi.Logout.Path), 204, "sign-out after the exchange");
            if (i < warmUp)
            {
                continue;
            }

            flows.Add(flow.CallbackMs - flow.TokenMs + flow.ExchangeMs);
            withProvider.Add(flow.CallbackMs + flow.ExchangeMs);
            callbacks.Add(flow.CallbackMs - flow.TokenMs);
            exchanges.Add(flow.ExchangeMs);
            tokens.Add(flow.TokenMs);
            phases.Add(phase);
            phasesBefore.Add(before);
            bares.Add(bareMs);
            if (i % steps.Length == 0)
            {
                firsts.Add(flows[^1]);
            }

            callbackOps ??= flow.CallbackOperations;
            exchangeOps ??= flow.ExchangeOperations;
            phaseOps ??= phase.Operations;
            beforeOps ??= before.Operations;
        }

        if (rogue.DiscoveryRequests != discoveryFetches || rogue.JwksRequests != jwksFetches)
        {
            throw new InvalidOperationException(
                $"the provider's metadata was fetched during the samples (discovery {rogue.DiscoveryRequests - discoveryFetches}, JWKS {rogue.JwksRequests - jwksFetches} times): not a warm cache");
        }

        var (flowP50, phasesP50, beforeP50) = (Stats.Median(flows), Stats.Median(phases.Select(p => p.Total)), Stats.Median(phasesBefore.Select(p => p.Total)));
        report.Add(new Row($"social sign-in (issue 30): `GET /api/auth/oidc/{{provider}}/callback` + `POST /api/auth/oidc/exchange` p50 ({flows.Count} sign-ins of a returning user: the same linked identity, a returning browser; discovery and JWKS cached, none fetched during the samples), the provider's own time excluded (the API's token request, as its HttpClient timed it, subtracted per sign-in; the in-process stub answers from memory), vs login's storage phases p50 as the login runs them today (backoff read ∥ account read; backoff clear ∥ session insert + list ∥ account re-read; the login.succeeded event, user row ∥ fleet row: through the app's services as the login calls them, the reservation the hash hides left out), interleaved, which goes first rotating; in brackets the yardstick before issue 31's additions (no re-read, no event)",
            $"{Ms(flowP50)} vs {Ms(phasesP50)} (before issue 31's additions: vs {Ms(beforeP50)}, {Ratio(flowP50 / beforeP50)})", "≤ 1.5×", Ratio(flowP50 / phasesP50), flowP50 / phasesP50 <= 1.5));
        double P50(Func<LoginStoragePhases, double> of) => Stats.Median(phases.Select(of));
        double BeforeP50(Func<LoginStoragePhases, double> of) => Stats.Median(phasesBefore.Select(of));
        var bareP50 = Stats.Median(bares);
        report.Note($"oidc: callback + exchange p90 {Ms(Stats.Percentile(flows, 90))}, p50 when it went first {Ms(Stats.Median(firsts))}; "
            + $"callback p50 {Ms(Stats.Median(callbacks))} (provider excluded), exchange p50 {Ms(Stats.Median(exchanges))}; "
            + $"the provider's own time, the API's token request to the stub (loopback HTTP, a pre-signed ID token from memory): p50 {Ms(Stats.Median(tokens))}, p90 {Ms(Stats.Percentile(tokens, 90))}; "
            + $"callback + exchange with it included: p50 {Ms(Stats.Median(withProvider))}. "
            + $"Login's storage phases today (p50): backoff read ∥ account read (identity, then account) {Ms(P50(p => p.Reads))}; backoff clear ∥ session insert + list ∥ account re-read {Ms(P50(p => p.ClearAndSession))}; "
            + $"the login.succeeded event (user row ∥ fleet row) {Ms(P50(p => p.Event))}; p90 of the three {Ms(Stats.Percentile(phases.Select(p => p.Total), 90))}; "
            + $"the reservation write between the first two (hidden behind the hash in a login, not counted) {Ms(P50(p => p.Reserve))}. "
            + $"Before issue 31's additions (the yardstick of the earlier runs, same loop): {Ms(beforeP50)} (backoff read ∥ account read {Ms(BeforeP50(p => p.Reads))}; backoff clear ∥ session insert + list {Ms(BeforeP50(p => p.ClearAndSession))}), "
            + $"callback + exchange {Ratio(flowP50 / beforeP50)} of it. "
            + $"An HTTP round trip to the bare endpoint on the same host and connection, same loop: p50 {Ms(bareP50)}; "
            + $"callback + exchange − storage phases − 2 round trips = {Ms(flowP50 - phasesP50 - 2 * bareP50)}. "
            + $"CPU per call (mean over the samples; this process by getrusage, client and the stub included, with the thread pool's spinning while it waits; Azurite by /proc ticks of 10 ms): "
            + $"callback + exchange {flowCpu.OwnMs:F2} ms here + {flowCpu.AzuriteMs:F2} ms in Azurite, login's storage phases (today's) with the reservation {phasesCpu.OwnMs:F2} ms + {phasesCpu.AzuriteMs:F2} ms. "
            + $"Storage requests: callback {Describe(callbackOps)}; exchange {Describe(exchangeOps)}; login's storage phases today with the reservation {Describe(phaseOps)}; before issue 31's additions {Describe(beforeOps)}.");
        report.Note($"oidc: the ID token's validation alone (`OidcClient.ValidateAsync`: RS256 signature with the cached JWKS, iss, aud, exp, iat, nonce; one thread, the same token again and again): {await IdTokenValidationMicrosecondsAsync(api, rogue):F0} µs a call.");
    }

    /// <summary>What the callback spends on the ID token past the provider's answer, without HTTP or storage: microseconds per validation.</summary>
    private async Task<double> IdTokenValidationMicrosecondsAsync(TestApi api, RogueOidcProvider rogue)
    {
        var client = api.Service<OidcClient>();
        var provider = client.Find(OidcProviderName) ?? throw new InvalidOperationException("the API has no provider named " + OidcProviderName);
        const string nonce = "bench-validation-nonce";
        var idToken = rogue.IdToken(rogue.Claims(nonce, sub: "bench-validation-user", email: "oidc-validation@bench.test"));
        for (var i = 0; i < 100; i++)
        {
            await client.ValidateAsync(provider, idToken, nonce, CancellationToken.None);
        }

        var iterations = Count(2_000, 500);
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < iterations; i++)
        {
            await client.ValidateAsync(provider, idToken, nonce, CancellationToken.None);
        }

        return Stopwatch.GetElapsedTime(started).TotalMicroseconds / iterations;
    }

    /// <summary>What the frontend does before the timed part: a verifier, the start's redirect, the provider's answer (its code's ID token signed now).</summary>
    private static async Task<(string Verifier, Uri Callback)> StartAtProviderAsync(Browser browser, RogueOidcProvider rogue, ConcurrentDictionary<string, string> signed)
    {
        var verifier = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var start = AuthApi.OidcStart.Path.Replace("{provider}", OidcProviderName, StringComparison.Ordinal)
            + $"?returnTo={Uri.EscapeDataString(OidcReturnTo)}&codeChallenge={challenge}";
        using var started = await browser.SendAsync(HttpMethod.Get, start);
        Require(started, 302, "the start");
        var authorize = started.Headers.Location ?? throw new InvalidOperationException("the start answered 302 without a Location");
        var callback = rogue.SignIn(authorize);
        var nonce = QueryHelpers.ParseQuery(authorize.Query)["nonce"].ToString();
        var code = QueryHelpers.ParseQuery(callback.Query)["code"].ToString();
        signed[code] = rogue.IdToken(rogue.Claims(nonce, sub: "bench-returning-user", email: "oidc-returning@bench.test", emailVerified: true));
        return (verifier, callback);
    }

    /// <summary>One social sign-in's timed part, and what the provider and storage saw of it.</summary>
    private sealed record OidcSignIn(double CallbackMs, double TokenMs, double ExchangeMs, List<string> CallbackOperations, List<string> ExchangeOperations);

    /// <summary>The callback (its state cookie held by <paramref name="browser"/>), then the exchange of its one-time code, each timed.</summary>
    private static async Task<OidcSignIn> CallbackAndExchangeAsync(Browser browser, Uri callbackUrl, string verifier, ClientRequestTimer tokenRequests, StorageOperations storage)
    {
        storage.Take();
        var started = Stopwatch.GetTimestamp();
        var callback = await browser.SendAsync(HttpMethod.Get, callbackUrl.PathAndQuery);
        await callback.Content.ReadAsByteArrayAsync();
        var callbackMs = ElapsedMs(started);
        var callbackOps = Requests(storage);
        Require(callback, 302, "the callback");
        var back = callback.Headers.Location?.ToString() ?? "";
        callback.Dispose();
        var code = back.StartsWith(OidcReturnTo + "?", StringComparison.Ordinal) ? QueryHelpers.ParseQuery(new Uri(back).Query)["code"].ToString() : "";
        if (code.Length == 0)
        {
            throw new InvalidOperationException($"the callback returned no code: {back}");
        }

        var token = tokenRequests.Take() is [var one] ? one : throw new InvalidOperationException("the callback made no token request, or several");

        started = Stopwatch.GetTimestamp();
        using var exchange = await browser.PostAsync(AuthApi.OidcExchange.Path, new { code, codeVerifier = verifier }, origin: TestApi.Frontend);
        var body = await exchange.Content.ReadAsStringAsync();
        var exchangeMs = ElapsedMs(started);
        var exchangeOps = Requests(storage);
        var status = exchange.IsSuccessStatusCode && JsonDocument.Parse(body).RootElement.TryGetProperty("status", out var s) ? s.GetString() : $"{(int)exchange.StatusCode}: {body}";
        Expect(status ?? "", "signed_in", "the exchange");
        return new OidcSignIn(callbackMs, token, exchangeMs, callbackOps, exchangeOps);
    }

    /// <summary>The storage requests recorded since the last call, without the revocation sync's (a background loop on the same tables' host).</summary>
    private static List<string> Requests(StorageOperations storage) =>
        [.. storage.Take().Where(o => !o.Contains(" Revoked", StringComparison.Ordinal)).Select(o => EventTable().Replace(o.Replace("Oidc", "", StringComparison.Ordinal), "$1"))];

    // UserEvents<yyyyMM> and FleetEvents<yyyyMMdd>: the period's table.
    [GeneratedRegex(@"(UserEvents|FleetEvents)\d{6,8}")]
    private static partial Regex EventTable();

    /// <summary>
    /// Milliseconds of login's storage phases (the event's is 0 for the yardstick before issue 31), the reservation between
    /// the first two, and the phases together; the storage requests sent.
    /// </summary>
    private sealed record LoginStoragePhases(double Reads, double Reserve, double ClearAndSession, double Event, double Total)
    {
        public List<string> Operations { get; init; } = [];
    }

    /// <summary>
    /// What <c>POST /api/auth/login</c> waits on storage for today, past its hash, done directly through the app's services
    /// the way the login path calls them (<see cref="AccountService"/>'s check, <see cref="BrowserSignIn.StartAsync"/>,
    /// <see cref="AuthEvents.RaiseAsync(HttpContext, AuthEventKind, string?, string?, string?, string?)"/>), for a returning
    /// browser: a request context carrying its device cookie (from loopback, no User-Agent, as the bench's browser sends),
    /// which chooses the backoff row and is honoured (no device write). The backoff read with the account read (identity row,
    /// then account row); the reservation (which a login writes while hashing: timed on its own, not in the total); the
    /// backoff clear with the session's start (insert ∥ list ∥ the account read again); then the <c>login.succeeded</c>
    /// event (user row ∥ fleet row). The caller ends the session (not timed).
    /// </summary>
    private static async Task<(LoginStoragePhases Phases, Func<Task> EndSession)> LoginStoragePhasesAsync(TestApi api, string email, string deviceCookie, StorageOperations storage)
    {
        var users = api.Service<UserRepository>();
        var throttle = api.Service<LoginThrottle>();
        var devices = api.Service<DeviceCookies>();
        var signIn = api.Service<BrowserSignIn>();
        var events = api.Service<AuthEvents>();
        var sessions = api.Service<SessionService>();
        var maxDevices = api.Service<IOptions<ThrottlingOptions>>().Value.MaxDevicesPerAccount;
        await using var scope = api.App.Services.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Connection.RemoteIpAddress = IPAddress.Loopback;
        context.Request.Headers.Cookie = deviceCookie;
        storage.Take();

        // AccountService.CheckAsync: the device cookie chooses the backoff row before the account is read.
        var started = Stopwatch.GetTimestamp();
        var device = devices.Presented(context.Request, EmailAddress.StorageKey(email)) ?? throw new InvalidOperationException("the login's device cookie does not check out");
        var key = ThrottleKey.Device(device.DeviceId);
        var reading = throttle.ReadAsync(key, CancellationToken.None);
        var lookup = users.FindByEmailAsync(email, CancellationToken.None);
        await Task.WhenAll(reading, lookup);
        var reads = ElapsedMs(started);
        var account = await lookup ?? throw new InvalidOperationException("the login account is gone");
        if (!device.IsHonouredBy(account, maxDevices))
        {
            throw new InvalidOperationException("the login account no longer honours its browser's device cookie");
        }

        var (reservation, reserve) = await ReserveAsync(throttle, key, await reading);
        // AccountService.LoginAsync: the clear while LoginEndpoint's whenMatched starts the session (BrowserSignIn.StartAsync:
        // the device honoured, insert ∥ list ∥ the account read again).
        var at = Stopwatch.GetTimestamp();
        var clearing = throttle.ClearAsync(key, reservation, CancellationToken.None);
        var starting = signIn.StartAsync(context, account, device, remember: true, amr: null, secondFactorAt: null, CancellationToken.None);
        await Task.WhenAll(clearing, starting);
        var clearAndSession = ElapsedMs(at);
        var signedIn = await starting;

        // LoginEndpoint: the event once the session is stored.
        at = Stopwatch.GetTimestamp();
        await events.RaiseAsync(context, AuthEventKind.SignedIn, account.UserId, signedIn.Issued.Session.SessionId, "password");
        var eventMs = ElapsedMs(at);
        var operations = Requests(storage);

        var sessionId = signedIn.Issued.Session.SessionId;
        return (new LoginStoragePhases(reads, reserve, clearAndSession, eventMs, reads + clearAndSession + eventMs) { Operations = operations },
            () => sessions.EndAsync(account.UserId, sessionId, CancellationToken.None));
    }

    /// <summary>
    /// The yardstick of the runs before issue 31's additions: login's storage phases as <see cref="AccountService"/> ran them
    /// then (no re-read of the account with the session's start, no event), for a device id of its own (its backoff row, the
    /// session bound to it; no device write): the backoff read with the account read, the reservation (timed on its own, not
    /// in the total), then the backoff clear with the session insert and list. The caller ends the session (not timed).
    /// </summary>
    private static async Task<(LoginStoragePhases Phases, Func<Task> EndSession)> LoginStoragePhasesBeforeEventsAsync(TestApi api, string email, string deviceId, StorageOperations storage)
    {
        var users = api.Service<UserRepository>();
        var throttle = api.Service<LoginThrottle>();
        var sessions = api.Service<SessionService>();
        var key = ThrottleKey.Device(deviceId);
        storage.Take();

        var started = Stopwatch.GetTimestamp();
        var reading = throttle.ReadAsync(key, CancellationToken.None);
        var lookup = users.FindByEmailAsync(email, CancellationToken.None);
        await Task.WhenAll(reading, lookup);
        var reads = ElapsedMs(started);
        var account = await lookup ?? throw new InvalidOperationException("the login account is gone");

        var (reservation, reserve) = await ReserveAsync(throttle, key, await reading);
        var at = Stopwatch.GetTimestamp();
        var clearing = throttle.ClearAsync(key, reservation, CancellationToken.None);
        var starting = sessions.StartAsync(account.UserId, account.Email, account.EmailConfirmed, true, null, CancellationToken.None, deviceId);
        await Task.WhenAll(clearing, starting);
        var clearAndSession = ElapsedMs(at);
        var operations = Requests(storage);

        var sessionId = (await starting).Session.SessionId;
        return (new LoginStoragePhases(reads, reserve, clearAndSession, 0, reads + clearAndSession) { Operations = operations },
            () => sessions.EndAsync(account.UserId, sessionId, CancellationToken.None));
    }

    /// <summary>The attempt's reservation, as a login writes it while hashing (timed on its own: the hash hides it); a refusal stops the run.</summary>
    private static async Task<(Reservation Reservation, double Ms)> ReserveAsync(LoginThrottle throttle, ThrottleKey key, ThrottleRow backoff)
    {
        var at = Stopwatch.GetTimestamp();
        var reservation = await throttle.ReserveAsync(key, backoff, CancellationToken.None);
        var ms = ElapsedMs(at);
        return reservation.Granted ? (reservation, ms) : throw new InvalidOperationException("the login's reservation was refused");
    }

    private static string Describe(List<string>? operations) => operations is null ? "none recorded" : $"{operations.Count} ({string.Join(", ", operations)})";

    /// <summary>
    /// The durations of this process's HTTP client requests to one port with one method, as <c>System.Net.Http</c> records
    /// them (<c>http.client.request.duration</c>: from the handler's send to the response headers), whatever HttpClient sent them.
    /// </summary>
    private sealed class ClientRequestTimer : IDisposable
    {
        private readonly MeterListener listener = new();
        private readonly ConcurrentQueue<double> seen = new();
        private readonly string port;
        private readonly string method;

        public ClientRequestTimer(int port, string method)
        {
            (this.port, this.method) = (port.ToString(CultureInfo.InvariantCulture), method);
            listener.InstrumentPublished = (instrument, owner) =>
            {
                if (instrument.Meter.Name == "System.Net.Http" && instrument.Name == "http.client.request.duration")
                {
                    owner.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<double>(OnMeasurement);
            listener.Start();
        }

        /// <summary>Milliseconds of each request recorded since the last call, in order.</summary>
        public List<double> Take()
        {
            var taken = new List<double>();
            while (seen.TryDequeue(out var milliseconds))
            {
                taken.Add(milliseconds);
            }

            return taken;
        }

        private void OnMeasurement(Instrument instrument, double seconds, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
        {
            var (portMatches, methodMatches) = (false, false);
            foreach (var (name, value) in tags)
            {
                portMatches |= name == "server.port" && Convert.ToString(value, CultureInfo.InvariantCulture) == port;
                methodMatches |= name == "http.request.method" && value as string == method;
            }

            if (portMatches && methodMatches)
            {
                seen.Enqueue(seconds * 1000);
            }
        }

        public void Dispose() => listener.Dispose();
    }
}
