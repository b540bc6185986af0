using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Serverless.Auth.Http;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Passkeys;

/// <summary>
/// Passkeys over HTTP (issue 29) on two instances sharing real Azurite tables and one clock, against the software
/// authenticator (tests/Shared/WebAuthn), which shares no code with the Fido2 library the service uses.
/// </summary>
public sealed class PasskeySignInTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Password = "harbour-quince-lattice-5937";
    private const int MaxPerUser = 3;
    private readonly FakeTimeProvider clock = new(DateTimeOffset.UtcNow);
    private Dictionary<string, string?> settings = null!;
    private TestApi api = null!;
    private TestApi other = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        settings = TestApi.DefaultSettings(azurite.ConnectionString);
        settings["Auth:Passkeys:MaxPerUser"] = MaxPerUser.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Auth:Mfa:StepUpSeconds"] = "120";
        void Configure(Microsoft.AspNetCore.Builder.WebApplicationBuilder builder)
        {
            builder.Services.AddSingleton<TimeProvider>(clock);
            builder.Services.RemoveMailAndCleanup();
        }

        api = await TestApi.StartAsync(settings, Configure, cancellationToken: Ct);
        other = await TestApi.StartAsync(settings, Configure, cancellationToken: Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await api.DisposeAsync();
        await other.DisposeAsync();
    }

    private TableClient Users => new(azurite.ConnectionString, settings["Auth:Storage:UsersTable"]!);

    private static SoftwareAuthenticator NewAuthenticator() => new(TestApi.Frontend, "localhost");

    private sealed record Member(string Email, string UserId, SessionClient Session);

    private async Task<Member> SignUpAsync(string name)
    {
        var email = Emails.Unique(name);
        var session = new SessionClient(api.Client);
        var userId = await session.SignUpForUserIdAsync(email, Password);
        return new Member(email, userId, session);
    }

    /// <summary>Adds a passkey from <paramref name="authenticator"/> with the password as re-authentication; returns its id.</summary>
    private async Task<string> RegisterAsync(SessionClient session, SoftwareAuthenticator authenticator, string? name = null)
    {
        var options = await RegisterOptionsAsync(session);
        var registered = await ResponseAssert.JsonAsync(
            await session.SendAsync(HttpMethod.Post, AuthApi.PasskeyRegister.Path, new { credential = authenticator.Register(options), name }), HttpStatusCode.OK);
        return registered.GetProperty("id").GetString()!;
    }

    /// <summary>
    /// A challenge is spent by any use of the passkey (or any registration) answering one issued at or after it, to the
    /// millisecond: the frozen clock moves one before each is issued.
    /// </summary>
    private async Task<JsonElement> LoginOptionsAsync(SessionClient client)
    {
        clock.Advance(TimeSpan.FromMilliseconds(1));
        return await ResponseAssert.JsonAsync(await client.SendAsync(HttpMethod.Post, AuthApi.PasskeyLoginOptions.Path), HttpStatusCode.OK);
    }

    private async Task<JsonElement> RegisterOptionsAsync(SessionClient client)
    {
        clock.Advance(TimeSpan.FromMilliseconds(1));
        return await ResponseAssert.JsonAsync(await client.SendAsync(HttpMethod.Post, AuthApi.PasskeyRegisterOptions.Path, new { password = Password }), HttpStatusCode.OK);
    }

    private static Task<HttpResponseMessage> LoginAsync(SessionClient client, JsonObject credential) =>
        client.SendAsync(HttpMethod.Post, AuthApi.PasskeyLogin.Path, new { credential });

    private static IEnumerable<string?> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString());

    /// <summary>Refused with 401 passkey_rejected and no session cookie.</summary>
    private static async Task<JsonElement> AssertRejectedAsync(HttpResponseMessage response)
    {
        var problem = await ResponseAssert.ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("passkey_rejected", problem.GetProperty("code").GetString());
        Assert.DoesNotContain(SessionClient.SetCookies(response), c => c.Name == "auth" || c.Name == "refresh");
        return problem;
    }

    [Fact]
    public async Task APasskeyAddedWithThePasswordSignsInWithoutItOnTheOtherInstance()
    {
        var member = await SignUpAsync("passkey-login");
        using var authenticator = NewAuthenticator();

        var optionsResponse = await member.Session.SendAsync(HttpMethod.Post, AuthApi.PasskeyRegisterOptions.Path, new { password = Password });
        var options = (await ResponseAssert.JsonAsync(optionsResponse, HttpStatusCode.OK)).GetProperty("publicKey");
        Assert.Equal("localhost", options.GetProperty("rp").GetProperty("id").GetString());
        Assert.Equal(32, Convert.FromBase64String(Base64(options.GetProperty("challenge").GetString()!)).Length);
        Assert.Equal(member.UserId, System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(Base64(options.GetProperty("user").GetProperty("id").GetString()!))));
        Assert.Equal(member.Email, options.GetProperty("user").GetProperty("name").GetString());
        Assert.Equal([-7, -8, -257], options.GetProperty("pubKeyCredParams").EnumerateArray().Select(p => p.GetProperty("alg").GetInt32()));
        Assert.Equal("required", options.GetProperty("authenticatorSelection").GetProperty("residentKey").GetString());
        Assert.Equal("required", options.GetProperty("authenticatorSelection").GetProperty("userVerification").GetString());
        Assert.Equal("none", options.GetProperty("attestation").GetString());
        Assert.Equal(300000, options.GetProperty("timeout").GetInt64());
        Assert.Empty(options.GetProperty("excludeCredentials").EnumerateArray());
        var challengeCookie = SessionClient.Cookie(optionsResponse, "auth-webauthn");
        Assert.True(challengeCookie.HttpOnly);
        Assert.Equal("/api/auth", challengeCookie.Path.ToString());
        Assert.Equal(TimeSpan.FromMinutes(5), challengeCookie.MaxAge);

        var registered = await ResponseAssert.JsonAsync(
            await member.Session.SendAsync(HttpMethod.Post, AuthApi.PasskeyRegister.Path, new { credential = authenticator.Register(options), name = "  Laptop  " }), HttpStatusCode.OK);
        Assert.Equal("Laptop", registered.GetProperty("name").GetString());
        Assert.Equal(authenticator.Credentials[0].IdBase64Url, registered.GetProperty("id").GetString());
        Assert.False(registered.GetProperty("backupEligible").GetBoolean());
        Assert.Equal(["internal"], Strings(registered.GetProperty("transports")));

        // Stored: the row in the account's partition (public key, no private part), the identity, the count.
        var row = (await Users.GetEntityAsync<TableEntity>(member.UserId, "passkey-" + Base64Url(System.Security.Cryptography.SHA256.HashData(authenticator.Credentials[0].Id)), cancellationToken: Ct)).Value;
        Assert.NotEmpty(row.GetBinary("PublicKey"));
        var account = (await Users.GetEntityAsync<TableEntity>(member.UserId, "user", cancellationToken: Ct)).Value;
        Assert.Equal(1, account.GetInt32("PasskeyCount"));

        // Signed out, the passkey signs in anonymously: options name no account.
        var visitor = new SessionClient(other.Client);
        var loginOptions = (await LoginOptionsAsync(visitor)).GetProperty("publicKey");
        Assert.Empty(loginOptions.GetProperty("allowCredentials").EnumerateArray());
        Assert.Equal("required", loginOptions.GetProperty("userVerification").GetString());
        Assert.Equal("localhost", loginOptions.GetProperty("rpId").GetString());
        var session = await ResponseAssert.JsonAsync(await LoginAsync(visitor, authenticator.Assert(loginOptions)), HttpStatusCode.OK);
        Assert.Equal(member.UserId, session.GetProperty("userId").GetString());
        Assert.Equal(["hwk", "mfa"], Strings(session.GetProperty("amr")));
        Assert.NotNull(visitor.Access);
        Assert.NotNull(visitor.Device);
        Assert.False(visitor.Cookies.ContainsKey("auth-webauthn"));
        var who = await ResponseAssert.JsonAsync(await visitor.CopyTo(api.Client).VerifyAsync(), HttpStatusCode.OK);
        Assert.Equal(["hwk", "mfa"], Strings(who.GetProperty("amr")));

        var list = await ResponseAssert.JsonAsync(await visitor.SendAsync(HttpMethod.Get, AuthApi.Passkeys.Path), HttpStatusCode.OK);
        var listed = Assert.Single(list.GetProperty("passkeys").EnumerateArray());
        Assert.Equal("Laptop", listed.GetProperty("name").GetString());
        Assert.Equal(clock.GetUtcNow(), listed.GetProperty("lastUsedAt").GetDateTimeOffset());
        var status = await ResponseAssert.JsonAsync(await visitor.SendAsync(HttpMethod.Get, AuthApi.MfaStatus.Path), HttpStatusCode.OK);
        Assert.Equal(1, status.GetProperty("passkeys").GetInt32());
    }

    [Fact]
    public async Task ASyncedPasskeySignsInAsSwkAndTheNextOptionsExcludeIt()
    {
        var member = await SignUpAsync("passkey-synced");
        using var authenticator = NewAuthenticator();
        authenticator.BackupEligible = true;
        authenticator.BackedUp = true;
        authenticator.CountsSignatures = false;
        var id = await RegisterAsync(member.Session, authenticator);

        var options = await RegisterOptionsAsync(member.Session);
        Assert.Equal(id, Assert.Single(options.GetProperty("publicKey").GetProperty("excludeCredentials").EnumerateArray()).GetProperty("id").GetString());
        Assert.Throws<InvalidOperationException>(() => authenticator.Register(options));

        // A counter that stays 0 (as synced passkeys report) is no regression.
        for (var i = 0; i < 2; i++)
        {
            var visitor = new SessionClient(api.Client);
            var session = await ResponseAssert.JsonAsync(await LoginAsync(visitor, authenticator.Assert(await LoginOptionsAsync(visitor))), HttpStatusCode.OK);
            Assert.Equal(["swk", "mfa"], Strings(session.GetProperty("amr")));
            clock.Advance(TimeSpan.FromMilliseconds(1));
        }
    }

    [Fact]
    public async Task ForgedOrReplayedAnswersAreRefusedWithoutASession()
    {
        var member = await SignUpAsync("passkey-forged");
        using var authenticator = NewAuthenticator();
        await RegisterAsync(member.Session, authenticator);

        async Task<HttpResponseMessage> TryAsync(Action<SoftwareAuthenticator> forge, Action<SoftwareAuthenticator> undo)
        {
            var visitor = new SessionClient(api.Client);
            var options = await LoginOptionsAsync(visitor);
            forge(authenticator);
            var credential = authenticator.Assert(options);
            undo(authenticator);
            return await LoginAsync(visitor, credential);
        }

        var origin = await AssertRejectedAsync(await TryAsync(a => a.Origin = "http://localhost:5174", a => a.Origin = TestApi.Frontend));
        Assert.Contains("origin", origin.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        var rpId = await AssertRejectedAsync(await TryAsync(a => a.RpId = "evil.localhost", a => a.RpId = "localhost"));
        Assert.Contains("RP id", rpId.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var uv = await AssertRejectedAsync(await TryAsync(a => a.UserVerified = false, a => a.UserVerified = true));
        Assert.Contains("verify the user", uv.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await AssertRejectedAsync(await TryAsync(a => a.UserPresent = false, a => a.UserPresent = true));

        // The answer to another challenge (the signature is good, the challenge in its client data is not the cookie's).
        var stale = new SessionClient(api.Client);
        var oldOptions = await LoginOptionsAsync(stale);
        var answerToOld = authenticator.Assert(oldOptions);
        await LoginOptionsAsync(stale);
        await AssertRejectedAsync(await LoginAsync(stale, answerToOld));

        // A good answer works once; replayed, on either instance, with its cookie, it is refused.
        var visitor = new SessionClient(api.Client);
        var good = authenticator.Assert(await LoginOptionsAsync(visitor));
        var replayer = new SessionClient(other.Client);
        foreach (var (name, value) in visitor.Cookies)
        {
            replayer.Set(name, value);
        }

        await ResponseAssert.JsonAsync(await LoginAsync(visitor, good), HttpStatusCode.OK);
        var replayed = await AssertRejectedAsync(await LoginAsync(replayer, good));
        Assert.Contains("used already", replayed.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // The user handle names the account whose partition holds the passkey: naming another account finds nothing there.
        var stranger = await SignUpAsync("passkey-forged-other");
        var misnamed = new SessionClient(api.Client);
        var renamed = authenticator.Assert(await LoginOptionsAsync(misnamed));
        renamed["response"]!["userHandle"] = Base64Url(System.Text.Encoding.UTF8.GetBytes(stranger.UserId));
        await AssertRejectedAsync(await LoginAsync(misnamed, renamed));
        Assert.Null(misnamed.Access);

        // Without a user handle (an authenticator may omit it), the credential's identity finds the account.
        var anonymousHandle = new SessionClient(other.Client);
        var withoutHandle = authenticator.Assert(await LoginOptionsAsync(anonymousHandle));
        withoutHandle["response"]!.AsObject().Remove("userHandle");
        var found = await ResponseAssert.JsonAsync(await LoginAsync(anonymousHandle, withoutHandle), HttpStatusCode.OK);
        Assert.Equal(member.UserId, found.GetProperty("userId").GetString());

        // Without the challenge cookie there is nothing to answer.
        var noCookie = new SessionClient(api.Client);
        await AssertRejectedAsync(await LoginAsync(noCookie, authenticator.Assert(await LoginOptionsAsync(new SessionClient(api.Client)))));
    }

    [Fact]
    public async Task ACounterThatGoesBackwardsIsRefusedAndRecorded()
    {
        var member = await SignUpAsync("passkey-clone");
        using var authenticator = NewAuthenticator();
        await RegisterAsync(member.Session, authenticator);
        authenticator.Counter = 10;
        var first = new SessionClient(api.Client);
        await ResponseAssert.JsonAsync(await LoginAsync(first, authenticator.Assert(await LoginOptionsAsync(first))), HttpStatusCode.OK);

        // A clone still at 5.
        authenticator.Counter = 5;
        var clone = new SessionClient(other.Client);
        var refused = await AssertRejectedAsync(await LoginAsync(clone, authenticator.Assert(await LoginOptionsAsync(clone))));
        Assert.Contains("counter", refused.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var row = await Users.QueryAsync<TableEntity>(e => e.PartitionKey == member.UserId && e.RowKey.CompareTo("passkey-") > 0 && e.RowKey.CompareTo("passkey.") < 0, cancellationToken: Ct).SingleAsync(Ct);
        Assert.Equal(11, row.GetInt64("SignCount"));
        Assert.Equal(6, row.GetInt64("CounterRegressionPresented"));
        Assert.NotNull(row.GetDateTimeOffset("CounterRegressionAt"));

        // Once it moves past the stored counter again, it signs in.
        authenticator.Counter = 20;
        var later = new SessionClient(api.Client);
        await ResponseAssert.JsonAsync(await LoginAsync(later, authenticator.Assert(await LoginOptionsAsync(later))), HttpStatusCode.OK);
    }

    [Fact]
    public async Task AChallengeIssuedToOneUserDoesNotRegisterForAnother()
    {
        var alice = await SignUpAsync("passkey-alice");
        var bob = await SignUpAsync("passkey-bob");
        using var authenticator = NewAuthenticator();
        var aliceOptions = await RegisterOptionsAsync(alice.Session);

        // Bob answers Alice's options with Alice's challenge cookie planted next to his session.
        bob.Session.Set("auth-webauthn", alice.Session.Cookies["auth-webauthn"]);
        var refused = await ResponseAssert.ProblemAsync(
            await bob.Session.SendAsync(HttpMethod.Post, AuthApi.PasskeyRegister.Path, new { credential = authenticator.Register(aliceOptions) }), HttpStatusCode.BadRequest);
        Assert.True(refused.GetProperty("errors").TryGetProperty("credential", out _));
        var bobList = await ResponseAssert.JsonAsync(await bob.Session.SendAsync(HttpMethod.Get, AuthApi.Passkeys.Path), HttpStatusCode.OK);
        Assert.Empty(bobList.GetProperty("passkeys").EnumerateArray());

        // The same registration answered twice (two instances, at once): one passkey.
        using var second = NewAuthenticator();
        var options = await RegisterOptionsAsync(alice.Session);
        var credential = second.Register(options);
        var onOther = alice.Session.CopyTo(other.Client);
        var answers = await Task.WhenAll(
            alice.Session.SendAsync(HttpMethod.Post, AuthApi.PasskeyRegister.Path, new { credential }),
            onOther.SendAsync(HttpMethod.Post, AuthApi.PasskeyRegister.Path, new { credential }));
        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
        Assert.Single(answers, a => a.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.BadRequest);
        var account = (await Users.GetEntityAsync<TableEntity>(alice.UserId, "user", cancellationToken: Ct)).Value;
        Assert.Equal(1, account.GetInt32("PasskeyCount"));

        // A second credential answering the spent options (a challenge registers one passkey at most).
        using var third = NewAuthenticator();
        alice.Session.Set("auth-webauthn", onOther.Cookies.GetValueOrDefault("auth-webauthn") ?? alice.Session.Cookies.GetValueOrDefault("auth-webauthn") ?? "");
        var spent = await alice.Session.SendAsync(HttpMethod.Post, AuthApi.PasskeyRegister.Path, new { credential = third.Register(options) });
        Assert.Equal(HttpStatusCode.BadRequest, spent.StatusCode);
    }

    [Fact]
    public async Task ConcurrentUsesOfOneAnswerStartOneSession()
    {
        var member = await SignUpAsync("passkey-race");
        using var authenticator = NewAuthenticator();
        await RegisterAsync(member.Session, authenticator);
        var visitor = new SessionClient(api.Client);
        var credential = authenticator.Assert(await LoginOptionsAsync(visitor));
        var onOther = visitor.CopyTo(other.Client);
        var third = visitor.CopyTo(api.Client);
        var answers = await Task.WhenAll(LoginAsync(visitor, credential), LoginAsync(onOther, credential), LoginAsync(third, credential));
        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
        Assert.Equal(2, answers.Count(a => a.StatusCode == HttpStatusCode.Unauthorized));

        // The losers' sessions, started while their answers were being written, were ended: the signup's and the winner's are left.
        var winner = new[] { visitor, onOther, third }[Array.FindIndex(answers, a => a.StatusCode == HttpStatusCode.OK)];
        var sessions = await ResponseAssert.JsonAsync(await winner.SessionsAsync(), HttpStatusCode.OK);
        Assert.Equal(2, sessions.GetArrayLength());
        var rows = await new TableClient(azurite.ConnectionString, settings["Auth:Storage:SessionsTable"]!)
            .QueryAsync<TableEntity>(e => e.PartitionKey == member.UserId, cancellationToken: Ct).ToListAsync(Ct);
        Assert.Equal(2, rows.Count);
    }

    [Fact]
    public async Task ADeletedPasskeyNoLongerSignsInAndDeletingNeedsTheStepUp()
    {
        var member = await SignUpAsync("passkey-delete");
        using var authenticator = NewAuthenticator();
        var id = await RegisterAsync(member.Session, authenticator);

        var noPassword = await ResponseAssert.ProblemAsync(await member.Session.SendAsync(HttpMethod.Post, AuthApi.PasskeyDelete.Path, new { id }), HttpStatusCode.BadRequest);
        Assert.True(noPassword.GetProperty("errors").TryGetProperty("password", out _));
        await ResponseAssert.ProblemAsync(await member.Session.SendAsync(HttpMethod.Post, AuthApi.PasskeyDelete.Path, new { id, password = "wrong-" + Password }), HttpStatusCode.BadRequest);
        await ResponseAssert.ProblemAsync(await member.Session.SendAsync(HttpMethod.Post, AuthApi.PasskeyDelete.Path, new { id = "AAAA", password = Password }), HttpStatusCode.NotFound);

        // A session the passkey signed in has checked two factors just now: no password within the step-up window.
        var byPasskey = new SessionClient(api.Client);
        await ResponseAssert.JsonAsync(await LoginAsync(byPasskey, authenticator.Assert(await LoginOptionsAsync(byPasskey))), HttpStatusCode.OK);
        var prepared = authenticator.Assert(await LoginOptionsAsync(new SessionClient(api.Client)));
        Assert.Equal(HttpStatusCode.NoContent, (await byPasskey.SendAsync(HttpMethod.Post, AuthApi.PasskeyDelete.Path, new { id })).StatusCode);

        var visitor = new SessionClient(other.Client);
        var refused = await AssertRejectedAsync(await LoginAsync(visitor, authenticator.Assert(await LoginOptionsAsync(visitor))));
        Assert.Contains("not registered", refused.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(await Users.QueryAsync<TableEntity>(e => e.RowKey == "passkey", cancellationToken: Ct).Where(e => e.GetString("AccountId") == member.UserId).ToListAsync(Ct));
        Assert.Equal(0, (await Users.GetEntityAsync<TableEntity>(member.UserId, "user", cancellationToken: Ct)).Value.GetInt32("PasskeyCount"));
        Assert.NotNull(prepared);
    }

    [Fact]
    public async Task RenamingIsBoundedAndOnlyForTheOwner()
    {
        var member = await SignUpAsync("passkey-rename");
        var stranger = await SignUpAsync("passkey-stranger");
        using var authenticator = NewAuthenticator();
        var id = await RegisterAsync(member.Session, authenticator, "Phone");

        var renamed = await ResponseAssert.JsonAsync(await member.Session.SendAsync(HttpMethod.Post, AuthApi.PasskeyRename.Path, new { id, name = "Work phone" }), HttpStatusCode.OK);
        Assert.Equal("Work phone", renamed.GetProperty("name").GetString());
        var tooLong = await ResponseAssert.ProblemAsync(await member.Session.SendAsync(HttpMethod.Post, AuthApi.PasskeyRename.Path, new { id, name = new string('x', 65) }), HttpStatusCode.BadRequest);
        Assert.True(tooLong.GetProperty("errors").TryGetProperty("name", out _));
        foreach (var hidden in new[] { "bad\u0007name", "Phone\u202Eenohp", "Pho\u200Bne", "Laptop\uE000", "Cafe\u0301", "Key\uD800" })
        {
            var refused = await ResponseAssert.ProblemAsync(await member.Session.SendAsync(HttpMethod.Post, AuthApi.PasskeyRename.Path, new { id, name = hidden }), HttpStatusCode.BadRequest);
            Assert.True(refused.GetProperty("errors").TryGetProperty("name", out _), hidden);
        }

        var emoji = await ResponseAssert.JsonAsync(await member.Session.SendAsync(HttpMethod.Post, AuthApi.PasskeyRename.Path, new { id, name = "Clé \U0001F511" }), HttpStatusCode.OK);
        Assert.Equal("Clé \U0001F511", emoji.GetProperty("name").GetString());
        await ResponseAssert.JsonAsync(await member.Session.SendAsync(HttpMethod.Post, AuthApi.PasskeyRename.Path, new { id, name = "Work phone" }), HttpStatusCode.OK);
        await ResponseAssert.ProblemAsync(await stranger.Session.SendAsync(HttpMethod.Post, AuthApi.PasskeyRename.Path, new { id, name = "Mine now" }), HttpStatusCode.NotFound);
        await ResponseAssert.ProblemAsync(await stranger.Session.SendAsync(HttpMethod.Post, AuthApi.PasskeyDelete.Path, new { id, password = Password }), HttpStatusCode.NotFound);

        var list = await ResponseAssert.JsonAsync(await member.Session.SendAsync(HttpMethod.Get, AuthApi.Passkeys.Path), HttpStatusCode.OK);
        Assert.Equal("Work phone", Assert.Single(list.GetProperty("passkeys").EnumerateArray()).GetProperty("name").GetString());
    }

    [Fact]
    public async Task AnAccountHasAtMostTheConfiguredNumberOfPasskeys()
    {
        var member = await SignUpAsync("passkey-limit");
        var authenticators = Enumerable.Range(0, MaxPerUser).Select(_ => NewAuthenticator()).ToList();
        foreach (var authenticator in authenticators)
        {
            await RegisterAsync(member.Session, authenticator);
        }

        var full = await ResponseAssert.ProblemAsync(await member.Session.SendAsync(HttpMethod.Post, AuthApi.PasskeyRegisterOptions.Path, new { password = Password }), HttpStatusCode.Conflict);
        Assert.Contains(MaxPerUser.ToString(System.Globalization.CultureInfo.InvariantCulture), full.GetProperty("detail").GetString(), StringComparison.Ordinal);
        authenticators.ForEach(a => a.Dispose());
    }

    [Fact]
    public async Task TheLastPasskeyOfAnAccountWithoutAPasswordIsKept()
    {
        var member = await SignUpAsync("passkey-last");
        using var authenticator = NewAuthenticator();
        var id = await RegisterAsync(member.Session, authenticator);

        // An account without a password (as a social sign-in will make them): the passkey is its only way in.
        var account = (await Users.GetEntityAsync<TableEntity>(member.UserId, "user", cancellationToken: Ct)).Value;
        account["PasswordHash"] = "";
        await Users.UpdateEntityAsync(account, account.ETag, TableUpdateMode.Replace, Ct);

        var visitor = new SessionClient(api.Client);
        await ResponseAssert.JsonAsync(await LoginAsync(visitor, authenticator.Assert(await LoginOptionsAsync(visitor))), HttpStatusCode.OK);
        var kept = await ResponseAssert.ProblemAsync(await visitor.SendAsync(HttpMethod.Post, AuthApi.PasskeyDelete.Path, new { id }), HttpStatusCode.Conflict);
        Assert.Contains("last way to sign in", kept.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhereConfirmationIsRequiredAnUnconfirmedAccountsPasskeyStartsNoSession()
    {
        var member = await SignUpAsync("passkey-unconfirmed");
        using var authenticator = NewAuthenticator();
        await RegisterAsync(member.Session, authenticator);

        // The same tables, served by an instance that requires confirmed addresses (set after this account was made).
        var strict = new Dictionary<string, string?>(settings) { ["Auth:Email:RequireConfirmed"] = "true" };
        await using var confirming = await TestApi.StartAsync(strict, builder => builder.Services.RemoveMailAndCleanup(), cancellationToken: Ct);
        var visitor = new SessionClient(confirming.Client);
        var refused = await ResponseAssert.ProblemAsync(await LoginAsync(visitor, authenticator.Assert(await LoginOptionsAsync(visitor))), HttpStatusCode.Forbidden);
        Assert.Equal("email_not_confirmed", refused.GetProperty("code").GetString());
        Assert.Null(visitor.Access);
        var rows = await new TableClient(azurite.ConnectionString, settings["Auth:Storage:SessionsTable"]!)
            .QueryAsync<TableEntity>(e => e.PartitionKey == member.UserId, cancellationToken: Ct).ToListAsync(Ct);
        Assert.Single(rows); // the signup's session only
    }

    [Fact]
    public async Task DeletingTheAccountRemovesItsPasskeys()
    {
        var member = await SignUpAsync("passkey-account-gone");
        using var authenticator = NewAuthenticator();
        await RegisterAsync(member.Session, authenticator);
        Assert.Equal(HttpStatusCode.NoContent, (await member.Session.DeleteAccountAsync(Password)).StatusCode);

        var visitor = new SessionClient(api.Client);
        await AssertRejectedAsync(await LoginAsync(visitor, authenticator.Assert(await LoginOptionsAsync(visitor))));
        var rows = await Users.QueryAsync<TableEntity>(e => e.PartitionKey == member.UserId, cancellationToken: Ct).ToListAsync(Ct);
        Assert.DoesNotContain(rows, r => r.RowKey.StartsWith("passkey", StringComparison.Ordinal));
    }

    private static string Base64(string base64Url) => base64Url.Replace('-', '+').Replace('_', '/') + new string('=', (4 - (base64Url.Length % 4)) % 4);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
