using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Serverless.Auth.Http;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Passkeys;

/// <summary>
/// A passkey as the second step of a password sign-in on a TOTP account (issue 29 with issue 28's pending sign-in), on
/// two instances sharing Azurite tables and one clock; TOTP codes from oathtool.
/// </summary>
public sealed class PasskeySecondStepTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Password = "meadow-copper-violin-2286";
    private readonly FakeTimeProvider clock = new(DateTimeOffset.UtcNow);
    private TestApi api = null!;
    private TestApi other = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var settings = TestApi.DefaultSettings(azurite.ConnectionString);
        settings["Auth:Throttling:FreeFailures"] = "6";
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

    private sealed record Member(string Email, string UserId, SoftwareAuthenticator Authenticator);

    /// <summary>Signs up, enables TOTP (oathtool's code), adds a passkey; the clock then moves one step on.</summary>
    private async Task<Member> EnrolAsync(string name)
    {
        var email = Emails.Unique(name);
        var session = new SessionClient(api.Client);
        var userId = await session.SignUpForUserIdAsync(email, Password);
        var setup = await ResponseAssert.JsonAsync(await session.SendAsync(HttpMethod.Post, AuthApi.MfaTotpSetup.Path, new { password = Password }), HttpStatusCode.OK);
        var secret = setup.GetProperty("secret").GetString()!;
        await ResponseAssert.JsonAsync(
            await session.SendAsync(HttpMethod.Post, AuthApi.MfaTotpEnable.Path, new { code = await Oathtool.CodeAsync(secret, clock.GetUtcNow()) }), HttpStatusCode.OK);
        clock.Advance(TimeSpan.FromSeconds(30));

        // Adding a passkey to a TOTP account: the password and a code (this session signed in with the password only).
        var authenticator = new SoftwareAuthenticator(TestApi.Frontend, "localhost");
        var noCode = await ResponseAssert.ProblemAsync(await session.SendAsync(HttpMethod.Post, AuthApi.PasskeyRegisterOptions.Path, new { password = Password }), HttpStatusCode.BadRequest);
        Assert.True(noCode.GetProperty("errors").TryGetProperty("code", out _));
        var options = await ResponseAssert.JsonAsync(
            await session.SendAsync(HttpMethod.Post, AuthApi.PasskeyRegisterOptions.Path, new { password = Password, code = await Oathtool.CodeAsync(secret, clock.GetUtcNow()) }),
            HttpStatusCode.OK);
        await ResponseAssert.JsonAsync(await session.SendAsync(HttpMethod.Post, AuthApi.PasskeyRegister.Path, new { credential = authenticator.Register(options) }), HttpStatusCode.OK);
        return new Member(email, userId, authenticator);
    }

    /// <summary>The password on <paramref name="on"/>: mfa_required listing the passkey; the client holds the pending cookie.</summary>
    private async Task<SessionClient> FirstStepAsync(TestApi on, string email)
    {
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var client = new SessionClient(on.Client);
        var body = await ResponseAssert.JsonAsync(await client.LoginAsync(email, Password), HttpStatusCode.OK);
        Assert.Equal("mfa_required", body.GetProperty("status").GetString());
        Assert.Equal(["totp", "passkey", "recovery"], body.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        return client;
    }

    private async Task<JsonElement> SecondStepOptionsAsync(SessionClient client)
    {
        clock.Advance(TimeSpan.FromMilliseconds(1));
        return await ResponseAssert.JsonAsync(await client.SendAsync(HttpMethod.Post, AuthApi.MfaPasskeyOptions.Path), HttpStatusCode.OK);
    }

    private static Task<HttpResponseMessage> VerifyAsync(SessionClient client, object credential) =>
        client.SendAsync(HttpMethod.Post, AuthApi.MfaVerify.Path, new { credential });

    [Fact]
    public async Task ThePasskeyCompletesAPasswordSignInOnceOnEitherInstance()
    {
        var member = await EnrolAsync("passkey-2fa");
        using var authenticator = member.Authenticator;
        var client = await FirstStepAsync(api, member.Email);

        var options = (await SecondStepOptionsAsync(client)).GetProperty("publicKey");
        var allowed = Assert.Single(options.GetProperty("allowCredentials").EnumerateArray());
        Assert.Equal(authenticator.Credentials[0].IdBase64Url, allowed.GetProperty("id").GetString());
        Assert.Equal(["internal"], allowed.GetProperty("transports").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("required", options.GetProperty("userVerification").GetString());

        var answer = authenticator.Assert(options);
        var replay = client.CopyTo(other.Client);
        var session = await ResponseAssert.JsonAsync(await VerifyAsync(client, answer), HttpStatusCode.OK);
        Assert.Equal(member.UserId, session.GetProperty("userId").GetString());
        Assert.Equal(["pwd", "hwk", "mfa"], session.GetProperty("amr").EnumerateArray().Select(m => m.GetString()));
        Assert.NotNull(client.Access);
        Assert.False(client.Cookies.ContainsKey("auth-mfa"));

        // The pending sign-in and the challenge are spent: the same cookies and answer on the other instance get nothing.
        var refused = await ResponseAssert.ProblemAsync(await VerifyAsync(replay, answer), HttpStatusCode.Unauthorized);
        Assert.Equal("mfa_pending_invalid", refused.GetProperty("code").GetString());
        Assert.Null(replay.Access);
    }

    [Fact]
    public async Task AnotherAccountsPasskeyOrChallengeDoesNotCompleteTheStep()
    {
        var alice = await EnrolAsync("passkey-2fa-alice");
        var mallory = await EnrolAsync("passkey-2fa-mallory");
        using var aliceKey = alice.Authenticator;
        using var malloryKey = mallory.Authenticator;

        // Mallory knows Alice's password but has only her own passkey.
        var client = await FirstStepAsync(api, alice.Email);
        var options = await SecondStepOptionsAsync(client);
        var own = malloryKey.Assert(options, credentialId: malloryKey.Credentials[0].Id);
        var problem = await ResponseAssert.ProblemAsync(await VerifyAsync(client, own), HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("credential", out _));
        Assert.Null(client.Access);

        // Alice's genuine answer to a challenge issued for Mallory's pending sign-in does not complete Alice's.
        var malloryClient = await FirstStepAsync(other, mallory.Email);
        var malloryOptions = await SecondStepOptionsAsync(malloryClient);
        client.Set("auth-webauthn", malloryClient.Cookies["auth-webauthn"]);
        var foreign = aliceKey.Assert(malloryOptions, credentialId: aliceKey.Credentials[0].Id);
        await ResponseAssert.ProblemAsync(await VerifyAsync(client, foreign), HttpStatusCode.BadRequest);
        Assert.Null(client.Access);

        // With her own challenge, Alice's passkey still completes it.
        var fresh = await SecondStepOptionsAsync(client);
        await ResponseAssert.JsonAsync(await VerifyAsync(client, aliceKey.Assert(fresh)), HttpStatusCode.OK);
    }

    [Fact]
    public async Task WrongAnswersCountTowardTheAccountsSecondFactorBackoff()
    {
        var member = await EnrolAsync("passkey-2fa-backoff");
        using var authenticator = member.Authenticator;
        var client = await FirstStepAsync(api, member.Email);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            var options = await SecondStepOptionsAsync(client);
            authenticator.UserVerified = false;
            statuses.Add((await VerifyAsync(client, authenticator.Assert(options))).StatusCode);
            authenticator.UserVerified = true;
        }

        // The checks enrolment made (enabling TOTP, the code for adding the passkey) count too: only a sign-in clears them.
        Assert.Equal(HttpStatusCode.BadRequest, statuses[0]);
        var throttledFrom = statuses.IndexOf(HttpStatusCode.TooManyRequests);
        Assert.InRange(throttledFrom, 2, 6);
        Assert.All(statuses[throttledFrom..], s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
        Assert.Null(client.Access);

        // The right answer is refused too while the backoff lasts (its outcome is not even looked at).
        var blocked = await VerifyAsync(client, authenticator.Assert(await SecondStepOptionsAsync(client)));
        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
        Assert.Null(client.Access);
    }

    [Fact]
    public async Task WithoutAPendingSignInThereAreNoOptionsAndAnAccountWithoutPasskeysGetsNone()
    {
        var anonymous = new SessionClient(api.Client);
        var refused = await ResponseAssert.ProblemAsync(await anonymous.SendAsync(HttpMethod.Post, AuthApi.MfaPasskeyOptions.Path), HttpStatusCode.Unauthorized);
        Assert.Equal("mfa_pending_invalid", refused.GetProperty("code").GetString());

        // A TOTP account without a passkey: mfa_required does not list it, and asking anyway is a conflict.
        var email = Emails.Unique("passkey-2fa-none");
        var session = new SessionClient(api.Client);
        await session.SignUpForUserIdAsync(email, Password);
        var setup = await ResponseAssert.JsonAsync(await session.SendAsync(HttpMethod.Post, AuthApi.MfaTotpSetup.Path, new { password = Password }), HttpStatusCode.OK);
        await ResponseAssert.JsonAsync(
            await session.SendAsync(HttpMethod.Post, AuthApi.MfaTotpEnable.Path, new { code = await Oathtool.CodeAsync(setup.GetProperty("secret").GetString()!, clock.GetUtcNow()) }),
            HttpStatusCode.OK);
        var client = new SessionClient(other.Client);
        var first = await ResponseAssert.JsonAsync(await client.LoginAsync(email, Password), HttpStatusCode.OK);
        Assert.Equal(["totp", "recovery"], first.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        await ResponseAssert.ProblemAsync(await client.SendAsync(HttpMethod.Post, AuthApi.MfaPasskeyOptions.Path), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task APasskeySignInSkipsTheCodeAndCountsAsARecentSecondFactor()
    {
        var member = await EnrolAsync("passkey-2fa-direct");
        using var authenticator = member.Authenticator;
        clock.Advance(TimeSpan.FromMinutes(30));
        var visitor = new SessionClient(other.Client);
        var options = await ResponseAssert.JsonAsync(await visitor.SendAsync(HttpMethod.Post, AuthApi.PasskeyLoginOptions.Path), HttpStatusCode.OK);
        var session = await ResponseAssert.JsonAsync(await visitor.SendAsync(HttpMethod.Post, AuthApi.PasskeyLogin.Path, new { credential = authenticator.Assert(options) }), HttpStatusCode.OK);
        Assert.Equal("signed_in", session.GetProperty("status").GetString());
        Assert.Equal(["hwk", "mfa"], session.GetProperty("amr").EnumerateArray().Select(m => m.GetString()));

        // New recovery codes need the password, but no code: the passkey was the second factor, just now.
        var codes = await ResponseAssert.JsonAsync(await visitor.SendAsync(HttpMethod.Post, AuthApi.MfaRecoveryCodes.Path, new { password = Password }), HttpStatusCode.OK);
        Assert.Equal(10, codes.GetProperty("recoveryCodes").GetArrayLength());

        // Past the window, a code is asked for again.
        clock.Advance(TimeSpan.FromMinutes(11));
        var stale = await ResponseAssert.ProblemAsync(await visitor.CopyTo(api.Client).SendAsync(HttpMethod.Post, AuthApi.MfaRecoveryCodes.Path, new { password = Password }), HttpStatusCode.BadRequest);
        Assert.True(stale.GetProperty("errors").TryGetProperty("code", out _));
    }
}
