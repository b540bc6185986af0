using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Auth.Accounts;
using Serverless.Auth.Email;
using Serverless.Auth.Http;
using Serverless.Auth.Storage;
using Serverless.Auth.Tests.Email;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;
using static Serverless.Auth.Tests.Oidc.OidcTestFlow;

namespace Serverless.Auth.Tests.Oidc;

/// <summary>
/// Social sign-in (issue 30) against the release before it (<see cref="PreviousRelease.BeforeSocialSignIn"/>, built from
/// this repository's history) running at once with this one on the same Azurite tables, as during a roll-out, with the
/// real provider (oidc-provider on loopback). That release knows no <c>OidcCount</c> or <c>EmailUnclaimed</c> column, no
/// link or identity row and no account without a password: its password checks, resets, merges of the account row,
/// tombstones and confirmation links meet the new data here. Each release reads a mail queue of its own, so which one
/// delivers a mail is the test's choice (the one that took the request), not a race. Real clocks throughout.
/// </summary>
public sealed class OidcRolloutTests(AzuriteFixture azurite, OidcSignInTests.ProviderFixture fixture, MaildevFixture mail)
    : IClassFixture<OidcSignInTests.ProviderFixture>, IClassFixture<MaildevFixture>, IAsyncLifetime
{
    private const string Provider = "test";
    private const string Password = "harbor-quill-saffron-6620";
    private const string SecondPassword = "thistle-beacon-marble-3917";
    private const string LinkPath = "/api/auth/oidc/" + Provider + "/link";

    private readonly StorageHook hook = new();
    private Dictionary<string, string?> settings = null!;
    private HostProcess previous = null!;
    private HttpClient previousClient = null!;
    private TestApi current = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private OidcProviderProcess Idp => fixture.Provider;

    public async ValueTask InitializeAsync()
    {
        settings = MailApi.Settings(azurite, mail.Maildev, s =>
        {
            s["Auth:Oidc:Providers:test:Authority"] = Idp.Authority;
            s["Auth:Oidc:Providers:test:ClientId"] = Idp.ClientId;
            s["Auth:Oidc:Providers:test:ClientSecret"] = Idp.ClientSecret;
            s["Auth:Oidc:Providers:test:DisplayName"] = "Test provider";
            s["Auth:Oidc:Providers:test:TrustEmail"] = "true";
            s["Auth:Mfa:StepUpSeconds"] = "300";
        });
        var previousSettings = new Dictionary<string, string?>(settings) { ["AUTH_EMAIL_QUEUE"] = settings["AUTH_EMAIL_QUEUE"] + "-previous" };
        previous = await PreviousRelease.StartAsync(previousSettings, PreviousRelease.BeforeSocialSignIn);
        previousClient = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = previous.BaseAddress };
        current = await TestApi.StartAsync(
            settings, builder => builder.Services.PostConfigure<StorageOptions>(o => o.PipelineObserver = hook), cancellationToken: Ct);
    }

    public async ValueTask DisposeAsync()
    {
        previousClient.Dispose();
        await current.DisposeAsync();
        await previous.DisposeAsync();
    }

    private TableClient Users => new(azurite.ConnectionString, settings["Auth:Storage:UsersTable"]!);

    private TableClient MailTokens => new(azurite.ConnectionString, settings["Auth:Storage:MailTokensTable"]!);

    /// <summary>A browser on the previous release.</summary>
    private SessionClient Old() => new(previousClient);

    /// <summary>A browser on this release.</summary>
    private SessionClient New() => new(current.Client);

    /// <summary>A login at the test provider: the subject; its address is <c>login@example.test</c>, verified.</summary>
    private static string NewLogin(string name) => $"{name}-{Guid.NewGuid().ToString("N")[..10]}";

    [Fact]
    public async Task AnAccountTheProviderCreatedIsRefusedByThePreviousReleasesLoginAndGetsAPasswordThroughItsReset()
    {
        // Created here by a first provider sign-in: no password, the address vouched for and claimed.
        var login = NewLogin("rollout-created");
        var email = login + "@example.test";
        var (created, browser) = await ProviderSignInAsync(login);
        var userId = created.GetProperty("userId").GetString()!;
        var account = await AccountRowAsync(userId);
        Assert.Equal("", account.GetString("PasswordHash"));
        Assert.Equal(1, account.GetInt32("OidcCount"));
        await AssertLinksAsync(userId, login);

        // The previous release verifies and refreshes the provider's session (amr it does not know, carried as it is).
        var there = browser.CopyTo(previousClient);
        var verified = await ResponseAssert.JsonAsync(await there.VerifyAsync(), HttpStatusCode.OK);
        Assert.Equal(userId, verified.GetProperty("userId").GetString());
        Assert.Equal(["fed"], Strings(verified.GetProperty("amr")));
        Assert.Equal(userId, (await ResponseAssert.JsonAsync(await there.RefreshAsync(), HttpStatusCode.OK)).GetProperty("userId").GetString());

        // Its password login for the address is refused like a wrong password (the empty hash matches nothing, never a 500),
        // and refused again here.
        await ResponseAssert.ProblemAsync(await Old().LoginAsync(email, Password), HttpStatusCode.Unauthorized);
        await ResponseAssert.ProblemAsync(await New().LoginAsync(email, Password), HttpStatusCode.Unauthorized);

        // The previous release's forgot/reset flow gives it a password: a merge of that release's own columns.
        Assert.Equal(HttpStatusCode.Accepted, (await Old().ForgotPasswordAsync(email)).StatusCode);
        var reset = await MailedTokenAsync(email, "reset");
        Assert.Equal(HttpStatusCode.NoContent, (await Old().ResetPasswordAsync(reset, SecondPassword)).StatusCode);
        var afterReset = await AccountRowAsync(userId);
        Assert.StartsWith("$argon2id$", afterReset.GetString("PasswordHash"), StringComparison.Ordinal);
        Assert.Equal(1, afterReset.GetInt32("OidcCount"));
        Assert.True(afterReset.GetBoolean("EmailConfirmed"));
        Assert.False(afterReset.ContainsKey("EmailUnclaimed"));
        await AssertLinksAsync(userId, login);

        // That reset ended every session of the account, the provider's one too.
        await ResponseAssert.ProblemAsync(await there.RefreshAsync(), HttpStatusCode.Unauthorized);

        // This release accepts the password (and so does the previous one), and the provider still signs in the same account.
        var here = await ResponseAssert.JsonAsync(await New().LoginAsync(email, SecondPassword), HttpStatusCode.OK);
        Assert.Equal("signed_in", here.GetProperty("status").GetString());
        Assert.Equal(userId, here.GetProperty("userId").GetString());
        Assert.Equal(["pwd"], Strings(here.GetProperty("amr")));
        Assert.Equal(userId, (await ResponseAssert.JsonAsync(await Old().LoginAsync(email, SecondPassword), HttpStatusCode.OK)).GetProperty("userId").GetString());
        var (again, againBrowser) = await ProviderSignInAsync(login);
        Assert.Equal(userId, again.GetProperty("userId").GetString());
        Assert.Equal(["fed"], Strings(again.GetProperty("amr")));
        await AssertLinksAsync(userId, login);

        // With a password now, the provider is no longer its last way in: it may be unlinked.
        Assert.Equal(HttpStatusCode.NoContent, (await UnlinkAsync(againBrowser)).StatusCode);
        await AssertLinksAsync(userId, subject: null);
    }

    [Fact]
    public async Task AnAccountThePreviousReleaseDeletedIsNotSignedInByItsProviderWhichMakesANewAccountAndLeavesNothingOfTheOldBehind()
    {
        var (login, userId, old) = await PreviousAccountLinkedHereAsync("rollout-deleted");
        var email = login + "@example.test";
        var (_, providerSession) = await ProviderSignInAsync(login);

        // The previous release deletes it: its tombstone replaces the account row (OidcCount gone with the rest). It
        // knows nothing of the link and identity rows.
        Assert.Equal(HttpStatusCode.NoContent, (await old.DeleteAccountAsync(Password)).StatusCode);
        var tombstone = await AccountRowAsync(userId);
        Assert.True(tombstone.GetBoolean("Deleted"));
        Assert.False(tombstone.ContainsKey("OidcCount"));
        await ResponseAssert.ProblemAsync(await providerSession.RefreshAsync(), HttpStatusCode.Unauthorized);

        // The identity counts only while its account is live: the provider's sign-in here makes a new account (the
        // vouched address is free again), confirmed and without a password; the deleted one signs in nowhere.
        var (fresh, _) = await ProviderSignInAsync(login);
        var newId = fresh.GetProperty("userId").GetString()!;
        Assert.NotEqual(userId, newId);
        Assert.Equal(email, fresh.GetProperty("email").GetString());
        Assert.True(fresh.GetProperty("emailConfirmed").GetBoolean());
        Assert.Equal("", (await AccountRowAsync(newId)).GetString("PasswordHash"));
        await AssertLinksAsync(newId, login);
        Assert.Equal(newId, (await current.Service<UserRepository>().FindByEmailAsync(email, Ct))!.UserId);
        await ResponseAssert.ProblemAsync(await New().LoginAsync(email, Password), HttpStatusCode.Unauthorized);
        await ResponseAssert.ProblemAsync(await Old().LoginAsync(email, Password), HttpStatusCode.Unauthorized);
        var (next, _) = await ProviderSignInAsync(login);
        Assert.Equal(newId, next.GetProperty("userId").GetString());

        // Deleted means gone: the provider's subject and address stay in no row of the deleted account (this release's
        // own deletion removes them; the previous release's left them for this release to remove once it met them).
        var left = await Users.QueryAsync<TableEntity>(r => r.PartitionKey == userId, cancellationToken: Ct).ToListAsync(Ct);
        Assert.True(
            left.All(r => r.RowKey == "user"),
            "the deleted account's partition still holds " + string.Join(", ", left.Where(r => r.RowKey != "user").Select(r => $"{r.RowKey} (Subject {r.GetString("Subject")}, Email {r.GetString("Email")})")));
        var identities = await Users.QueryAsync<TableEntity>(r => r.RowKey == "oidc", cancellationToken: Ct).ToListAsync(Ct);
        Assert.DoesNotContain(identities, r => r.GetString("AccountId") == userId);
    }

    [Fact]
    public async Task AfterThePreviousReleaseDeletedItTheAddressSignsUpAgainAndGetsTheIdentityOnlyByLinkingIt()
    {
        // An account whose address is the one the provider gives, with the provider linked here.
        var login = NewLogin("rollout-again");
        var email = login + "@example.test";
        var (_, userId, old) = await PreviousAccountLinkedHereAsync(login, email);
        Assert.Equal(HttpStatusCode.NoContent, (await old.DeleteAccountAsync(Password)).StatusCode);

        // The address signs up again on the previous release: another user id.
        var owner = Old();
        var newId = await owner.SignUpForUserIdAsync(email, SecondPassword);
        Assert.NotEqual(userId, newId);

        // The provider's identity is the deleted account's no more, and a vouched address of an existing account is never
        // linked automatically: account_exists, no link row on the new account, no session. The callback goes by the
        // identity's row alone (it still names the deleted account); the exchange finds that account gone, resolves the
        // identity again and answers what the callback would have.
        var (back, browser, verifier) = await RoundTripAsync(login);
        Assert.True(back.ContainsKey("code"), $"no code: {string.Join(", ", back)}");
        var refused = await ExchangeAsync(browser, back["code"], verifier);
        Assert.Equal("account_exists", (await ResponseAssert.ProblemAsync(refused, HttpStatusCode.Conflict)).GetProperty("code").GetString());
        Assert.DoesNotContain(SessionClient.SetCookies(refused), c => c.Name == "auth" || c.Name == "refresh");
        await AssertLinksAsync(newId, subject: null);

        // The new account links it here (the stale identity row of the deleted account is taken over) and then signs in with it.
        await LinkHereAsync(newId, email, SecondPassword, login);
        var (session, _) = await ProviderSignInAsync(login);
        Assert.Equal(newId, session.GetProperty("userId").GetString());

        // The previous release still signs the new account in with its password; the old one's password is refused.
        Assert.Equal(newId, (await ResponseAssert.JsonAsync(await Old().LoginAsync(email, SecondPassword), HttpStatusCode.OK)).GetProperty("userId").GetString());
        await ResponseAssert.ProblemAsync(await Old().LoginAsync(email, Password), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ThePreviousReleasesPasswordChangeAndTotpKeepTheLinkedProviderWhichStillSignsIn()
    {
        var (login, userId, old) = await PreviousAccountLinkedHereAsync("rollout-writes");
        var (_, providerSession) = await ProviderSignInAsync(login);
        var linkRow = await LinkRowAsync(userId);

        // The previous release changes the password: a merge of its own columns, which leaves the count and the link alone.
        var changed = await ResponseAssert.JsonAsync(await old.ChangePasswordAsync(Password, SecondPassword), HttpStatusCode.OK);
        Assert.Equal(userId, changed.GetProperty("userId").GetString());
        var afterChange = await AccountRowAsync(userId);
        Assert.StartsWith("$argon2id$", afterChange.GetString("PasswordHash"), StringComparison.Ordinal);
        Assert.Equal(1, afterChange.GetInt32("OidcCount"));
        await AssertLinksAsync(userId, login);
        var sameLink = await LinkRowAsync(userId);
        Assert.Equal(linkRow!.ETag, sameLink!.ETag);

        // That change ended every session of the account, the provider's one too.
        await ResponseAssert.ProblemAsync(await providerSession.RefreshAsync(), HttpStatusCode.Unauthorized);

        // The previous release enables TOTP: its own second-factor merge (secret, codes, the fenced hash).
        var recoveryCodes = await EnableTotpAsync(old, SecondPassword);
        var withTotp = await AccountRowAsync(userId);
        Assert.Equal("2fa:" + afterChange.GetString("PasswordHash"), withTotp.GetString("PasswordHash"));
        Assert.Equal(1, withTotp.GetInt32("OidcCount"));
        await AssertLinksAsync(userId, login);

        // The provider still signs in the same account here, and the second step TOTP asks for follows it.
        var (back, browser, verifier) = await RoundTripAsync(login);
        var first = await ResponseAssert.JsonAsync(await ExchangeAsync(browser, back["code"], verifier), HttpStatusCode.OK);
        Assert.Equal("mfa_required", first.GetProperty("status").GetString());
        Assert.Equal(["totp", "recovery"], Strings(first.GetProperty("methods")));
        var second = await ResponseAssert.JsonAsync(
            await browser.SendAsync(HttpMethod.Post, AuthApi.MfaVerify.Path, new { recoveryCode = recoveryCodes[0] }), HttpStatusCode.OK);
        Assert.Equal(userId, second.GetProperty("userId").GetString());
        Assert.Equal(["fed", "mfa", "rcv"], Strings(second.GetProperty("amr")));
        var listed = Assert.Single((await ResponseAssert.JsonAsync(await browser.SendAsync(HttpMethod.Get, AuthApi.Identities.Path), HttpStatusCode.OK)).EnumerateArray());
        Assert.Equal(Provider, listed.GetProperty("provider").GetString());

        // The previous release's own sign-in with the new password asks for its second step as before.
        var there = await ResponseAssert.JsonAsync(await Old().LoginAsync(login + "@example.test", SecondPassword), HttpStatusCode.OK);
        Assert.Equal("mfa_required", there.GetProperty("status").GetString());
    }

    /// <summary>
    /// The previous release's password change racing this release's link and unlink on one account: held rounds put the
    /// change between this release's read of the account and its transaction (which then loses its ETag and must read the
    /// account again); free rounds start both at once, with this release's request later each round. Whatever the order,
    /// both land (or this release's is refused cleanly), and the account row's count equals its link rows.
    /// </summary>
    [Fact]
    public async Task ThePreviousReleasesPasswordChangeRacingLinkAndUnlinkHereKeepsTheCountEqualToTheLinkRows()
    {
        var login = NewLogin("rollout-race");
        var email = Emails.Unique("rollout-race");
        var old = Old();
        var userId = await old.SignUpForUserIdAsync(email, Password);
        var password = Password;
        var lastHash = (await AccountRowAsync(userId)).GetString("PasswordHash");
        var linked = false;
        var outcomes = new List<string>();

        for (var round = 0; round < 8; round++)
        {
            // Free rounds: this release's request at once, then after the previous release's change has mostly landed.
            var held = round < 2;
            var delay = round < 4 ? 0 : round < 6 ? 150 : 1500;
            var action = round % 2 == 0 ? "link" : "unlink";
            var newPassword = $"{SecondPassword}-{round}";

            // This release's browser, signed in with the password the account has now (every change ends the sessions).
            var desk = New();
            Assert.Equal(userId, (await ResponseAssert.JsonAsync(await desk.LoginAsync(email, password), HttpStatusCode.OK)).GetProperty("userId").GetString());
            Func<Task<HttpResponseMessage>> write;
            if (action == "link")
            {
                // The callback writes nothing; the link lands at the owner's confirmation (the exchange): that is the raced write.
                var (navigation, callback, verifier) = await LinkCallbackAsync(desk, login, password);
                var code = (await CallbackAsync(navigation, callback))["code"];
                write = () => ExchangeAsync(desk, code, verifier);
            }
            else
            {
                if (!linked)
                {
                    // Nothing to unlink (the last link round was voided by the change): linked again first, with no race.
                    var (navigation, callback, verifier) = await LinkCallbackAsync(desk, login, password);
                    Assert.Equal(Provider, (await FinishLinkAsync(desk, navigation, callback, verifier, Provider)).GetValueOrDefault("linked"));
                    linked = true;
                }

                write = () => UnlinkAsync(desk);
            }

            HttpResponseMessage oldAnswer, newAnswer;
            if (held)
            {
                Task<HttpResponseMessage>? change = null;
                var resent = false;
                hook.Arm(
                    (method, table) => method == "POST" && table == "$batch",
                    before: async () =>
                    {
                        await (change = old.ChangePasswordAsync(password, newPassword));
                        hook.Arm((method, table) => method == "POST" && table == "$batch" && (resent = true));
                    });
                newAnswer = await write();
                hook.Arm((_, _) => false);
                Assert.NotNull(change);
                oldAnswer = await change;
                outcomes.Add($"{action}: previous {(int)oldAnswer.StatusCode}, here {(int)newAnswer.StatusCode} (held, {(resent ? "sent again" : "not sent again")})");
            }
            else
            {
                var change = old.ChangePasswordAsync(password, newPassword);
                var later = Task.Run(async () =>
                {
                    await Task.Delay(delay, Ct);
                    return await write();
                });
                var firstDone = await Task.WhenAny(change, later);
                (oldAnswer, newAnswer) = (await change, await later);
                outcomes.Add($"{action}: previous {(int)oldAnswer.StatusCode}, here {(int)newAnswer.StatusCode} (+{delay} ms, {(firstDone == change ? "previous" : "here")} answered first)");
            }

            // The previous release's change lands (after reading the account again when this release's write moved its ETag).
            Assert.Equal(userId, (await ResponseAssert.JsonAsync(oldAnswer, HttpStatusCode.OK)).GetProperty("userId").GetString());
            password = newPassword;

            // This release's write lands (held: after reading the account again, its transaction sent again), or is refused.
            // The link's confirmation (200) or the unlink (204) lands, or is refused cleanly with a problem: 409, 400 for a link
            // code whose session the change ended, 401 for an unlink's. Never a 500.
            var landed = newAnswer.StatusCode == (action == "link" ? HttpStatusCode.OK : HttpStatusCode.NoContent);
            Assert.True(
                landed || newAnswer.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized,
                $"round {round}: {action} answered {(int)newAnswer.StatusCode}: {await newAnswer.Content.ReadAsStringAsync(Ct)}");
            if (!landed)
            {
                await ResponseAssert.ProblemAsync(newAnswer, newAnswer.StatusCode);
            }

            linked = action == "link" ? landed : !landed;

            // Held, the unlink's session was checked before the change ended it: it reads the account again and lands. A held
            // link is voided: the password changed after the link was asked for (its ticket carries the password's stamp).
            Assert.True(!held || action == "link" || landed, $"round {round} ({action}, held): {outcomes[^1]}");
            Assert.True(
                !held || action == "unlink" || (newAnswer.StatusCode == HttpStatusCode.Conflict && (await ResponseAssert.ProblemAsync(newAnswer, HttpStatusCode.Conflict)).GetProperty("code").GetString() == "link_expired"),
                $"round {round}: {outcomes[^1]}");

            // The hash the previous release wrote, and the count equal to the link rows, whichever landed first.
            var hash = (await AccountRowAsync(userId)).GetString("PasswordHash");
            Assert.StartsWith("$argon2id$", hash, StringComparison.Ordinal);
            Assert.NotEqual(lastHash, hash);
            lastHash = hash;
            await AssertLinksAsync(userId, linked ? login : null);
        }

        // The identity signs in the account exactly while it is linked; the last password signs in on both releases.
        if (linked)
        {
            var (session, _) = await ProviderSignInAsync(login);
            Assert.Equal(userId, session.GetProperty("userId").GetString());
        }
        else
        {
            var (session, _) = await ProviderSignInAsync(login);
            Assert.NotEqual(userId, session.GetProperty("userId").GetString());
        }

        Assert.Equal(HttpStatusCode.OK, (await New().LoginAsync(email, password)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Old().LoginAsync(email, password)).StatusCode);
        TestContext.Current.SendDiagnosticMessage(string.Join("; ", outcomes));
    }

    /// <summary>
    /// An address the provider gave without vouching for it: the account's confirmation link (mailed by this release) is
    /// used on the previous release, which confirms by its own rules and claims nothing. Whatever it answers, this release
    /// must never see the account confirmed for an address that does not find it: confirmed means claimed (the address's
    /// identity points here), and an address another account holds is never confirmed for this one.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AConfirmationLinkOfAnUnvouchedAddressUsedOnThePreviousReleaseNeverLeavesItConfirmedButUnclaimed(bool addressTaken)
    {
        // The provider says email_verified false for logins starting with "unverified"; the address is the login itself.
        var email = NewLogin("unverified-rollout") + "@example.com";
        var ownerId = addressTaken ? await Old().SignUpForUserIdAsync(email, Password) : null;
        var (created, _) = await ProviderSignInAsync(email);
        var userId = created.GetProperty("userId").GetString()!;
        Assert.NotEqual(ownerId, userId);
        Assert.False(created.GetProperty("emailConfirmed").GetBoolean());
        Assert.True((await AccountRowAsync(userId)).GetBoolean("EmailUnclaimed"));

        // This release mails the account its confirmation link (the previous release may have mailed the owner one of its own).
        var token = await ConfirmationTokenOfAsync(email, userId);
        var there = await Old().ConfirmEmailAsync(token);
        var answered = $"the previous release answered {(int)there.StatusCode} {await there.Content.ReadAsStringAsync(Ct)}";

        var row = await AccountRowAsync(userId);
        var holder = await current.Service<UserRepository>().FindByEmailAsync(email, Ct);
        if (addressTaken)
        {
            Assert.Equal(ownerId, holder?.UserId);
        }

        Assert.False(
            row.GetBoolean("EmailConfirmed") == true && holder?.UserId != userId,
            $"{answered}; stored: EmailConfirmed {row.GetBoolean("EmailConfirmed")}, EmailUnclaimed {row.GetBoolean("EmailUnclaimed")}, the address finds {holder?.UserId ?? "no account"} (the account is {userId})");

        // What this release tells the account's next session agrees: confirmed only if the address is its own.
        var (again, _) = await ProviderSignInAsync(email);
        Assert.Equal(userId, again.GetProperty("userId").GetString());
        Assert.Equal(holder?.UserId == userId, again.GetProperty("emailConfirmed").GetBoolean());
        if (addressTaken)
        {
            Assert.Equal(ownerId, (await ResponseAssert.JsonAsync(await New().LoginAsync(email, Password), HttpStatusCode.OK)).GetProperty("userId").GetString());
        }
    }

    /// <summary>
    /// During the roll-out both releases read one mail queue. The confirmation request of an address a provider gave without
    /// vouching for it (a kind of mail of its own, naming the account, since the address does not find it) taken by the
    /// previous release's reader is not a mail it knows: dropped, nothing sent. Its signed-in owner asks again (resend, which
    /// for them names their account), and this release mails the link, which claims the address.
    /// </summary>
    [Fact]
    public async Task TheConfirmationMailOfAnUnvouchedAddressDroppedByThePreviousReleasesReaderIsSentAgainOnTheOwnersResend()
    {
        // An instance of each release on a queue of their own: this one only writes to it, the previous one only reads it.
        var shared = new Dictionary<string, string?>(settings) { ["AUTH_EMAIL_QUEUE"] = settings["AUTH_EMAIL_QUEUE"] + "-shared" };
        await using var writer = await TestApi.StartAsync(shared, builder => builder.Services.RemoveMailAndCleanup(), cancellationToken: Ct);
        var email = NewLogin("unverified-queued") + "@example.com";
        SessionClient browser;
        string userId;
        await using (var reader = await PreviousRelease.StartAsync(shared, PreviousRelease.BeforeSocialSignIn))
        {
            var (created, signedIn) = await ProviderSignInAsync(email, new SessionClient(writer.Client));
            (browser, userId) = (signedIn, created.GetProperty("userId").GetString()!);
            Assert.True((await AccountRowAsync(userId)).GetBoolean("EmailUnclaimed"));
            await Assert.ThrowsAsync<TimeoutException>(() => mail.Maildev.WaitForEmailsAsync(email, timeout: TimeSpan.FromSeconds(5), cancellationToken: Ct));
        }

        // Anonymous, the address finds no account: the same 202, nothing sent. Signed in as its owner: the account's link.
        Assert.Equal(HttpStatusCode.Accepted, (await New().SendAsync(HttpMethod.Post, AuthApi.EmailResend.Path, new { email })).StatusCode);
        var owner = browser.CopyTo(current.Client);
        Assert.Equal(HttpStatusCode.Accepted, (await owner.SendAsync(HttpMethod.Post, AuthApi.EmailResend.Path, new { email })).StatusCode);
        var mails = await mail.Maildev.WaitForEmailsAsync(email, timeout: TimeSpan.FromSeconds(20), cancellationToken: Ct);

        var confirmed = await ResponseAssert.JsonAsync(await owner.ConfirmEmailAsync(Email.MailLinks.Token(Assert.Single(mails), "confirm")), HttpStatusCode.OK);
        Assert.Equal(userId, confirmed.GetProperty("userId").GetString());
        Assert.Equal(userId, (await current.Service<UserRepository>().FindByEmailAsync(email, Ct))!.UserId);
    }

    /// <summary>
    /// An account signed up on the previous release (its browser there returned, signed in), with the provider's identity
    /// <paramref name="login"/> linked here (signed in with the password, which re-authenticates the link).
    /// </summary>
    private async Task<(string Login, string UserId, SessionClient OnPrevious)> PreviousAccountLinkedHereAsync(string login, string? email = null)
    {
        login = email is null ? NewLogin(login) : login;
        email ??= login + "@example.test";
        var onPrevious = Old();
        var userId = await onPrevious.SignUpForUserIdAsync(email, Password);
        Assert.False((await AccountRowAsync(userId)).ContainsKey("OidcCount"));
        await LinkHereAsync(userId, email, Password, login);
        return (login, userId, onPrevious);
    }

    /// <summary>Signs the account in here with its password, which re-authenticates linking the provider's identity <paramref name="login"/> to it.</summary>
    private async Task LinkHereAsync(string userId, string email, string password, string login)
    {
        var here = New();
        Assert.Equal(userId, (await ResponseAssert.JsonAsync(await here.LoginAsync(email, password), HttpStatusCode.OK)).GetProperty("userId").GetString());
        var (navigation, callback, verifier) = await LinkCallbackAsync(here, login, password);
        Assert.Equal(Provider, (await FinishLinkAsync(here, navigation, callback, verifier, Provider)).GetValueOrDefault("linked"));
        await AssertLinksAsync(userId, login);
    }

    /// <summary>
    /// A link of the provider to <paramref name="owner"/>'s account, up to the provider's redirect back: the navigation's
    /// browser (holding the flow cookie) and the callback to send, so a test chooses when it lands.
    /// </summary>
    private async Task<(SessionClient Navigation, Uri Callback, string Verifier)> LinkCallbackAsync(SessionClient owner, string login, string password)
    {
        var (verifier, challenge) = NewVerifier();
        var link = await ResponseAssert.JsonAsync(
            await owner.SendAsync(HttpMethod.Post, LinkPath, new { returnTo = ReturnTo, codeChallenge = challenge, password }, origin: TestApi.Frontend), HttpStatusCode.OK);
        var navigation = New();
        var start = await navigation.SendAsync(HttpMethod.Get, new Uri(link.GetProperty("url").GetString()!).PathAndQuery);
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        return (navigation, await Idp.SignInAsync(start.Headers.Location!, login, Ct), verifier);
    }

    private static Task<HttpResponseMessage> UnlinkAsync(SessionClient session) =>
        session.SendAsync(HttpMethod.Post, AuthApi.IdentityUnlink.Path, new { provider = Provider }, origin: TestApi.Frontend);

    /// <summary>A provider sign-in in a fresh browser on this release (or <paramref name="browser"/>), up to the return URL's query.</summary>
    private async Task<(Dictionary<string, string> Return, SessionClient Browser, string Verifier)> RoundTripAsync(string login, SessionClient? browser = null)
    {
        browser ??= New();
        var (verifier, challenge) = NewVerifier();
        var callback = await Idp.SignInAsync(await StartAsync(browser, Provider, challenge), login, Ct);
        return (await CallbackAsync(browser, callback), browser, verifier);
    }

    /// <summary>A provider sign-in on this release that starts a session (no second step): its body and browser.</summary>
    private async Task<(JsonElement Session, SessionClient Browser)> ProviderSignInAsync(string login, SessionClient? browser = null)
    {
        (var back, browser, var verifier) = await RoundTripAsync(login, browser);
        Assert.True(back.ContainsKey("code"), $"no code: {string.Join(", ", back)}");
        return (await SignedInAsync(await ExchangeAsync(browser, back["code"], verifier)), browser);
    }

    /// <summary>Sets up TOTP on the previous release (the password), enables it with an oathtool code; returns the recovery codes.</summary>
    private static async Task<IReadOnlyList<string>> EnableTotpAsync(SessionClient session, string password)
    {
        var setup = await ResponseAssert.JsonAsync(await session.SendAsync(HttpMethod.Post, AuthApi.MfaTotpSetup.Path, new { password }), HttpStatusCode.OK);
        var code = await Oathtool.CodeAsync(setup.GetProperty("secret").GetString()!);
        var enabled = await ResponseAssert.JsonAsync(await session.SendAsync(HttpMethod.Post, AuthApi.MfaTotpEnable.Path, new { code }), HttpStatusCode.OK);
        return [.. Strings(enabled.GetProperty("recoveryCodes")).Select(c => c!)];
    }

    /// <summary>The token of the last mail to the address with a link to <paramref name="page"/>.</summary>
    private async Task<string> MailedTokenAsync(string email, string page, int count = 1)
    {
        var mails = await mail.Maildev.WaitForEmailsAsync(email, count, cancellationToken: Ct);
        return Email.MailLinks.Token(mails.Last(m => (m.Text ?? "").Contains("/" + page + "?token=", StringComparison.Ordinal)), page);
    }

    /// <summary>The token of the confirmation mail to the address whose stored row names <paramref name="userId"/> (of up to three mails).</summary>
    private async Task<string> ConfirmationTokenOfAsync(string email, string userId)
    {
        for (var count = 1; count <= 3; count++)
        {
            foreach (var message in await mail.Maildev.WaitForEmailsAsync(email, count, cancellationToken: Ct))
            {
                var token = Email.MailLinks.Token(message, "confirm");
                var row = await MailTokens.GetEntityIfExistsAsync<TableEntity>(MailRequest.HashOf(token), "token", cancellationToken: Ct);
                if (row.HasValue && row.Value!.GetString("UserId") == userId)
                {
                    return token;
                }
            }
        }

        throw new InvalidOperationException($"No confirmation mail to {email} is for account {userId}.");
    }

    /// <summary>
    /// The account's provider data agree: its <c>OidcCount</c> is the number of its link rows, which are exactly the one
    /// for <paramref name="subject"/> (none when null), and that identity points back at the account.
    /// </summary>
    private async Task AssertLinksAsync(string userId, string? subject)
    {
        var account = await AccountRowAsync(userId);
        var links = await Users.QueryAsync<TableEntity>(r => r.PartitionKey == userId, cancellationToken: Ct)
            .Where(r => r.RowKey.StartsWith("oidc-", StringComparison.Ordinal)).ToListAsync(Ct);
        Assert.Equal(links.Count, account.GetInt32("OidcCount") ?? 0);
        if (subject is null)
        {
            Assert.Empty(links);
            return;
        }

        var link = Assert.Single(links);
        Assert.Equal("oidc-" + Provider, link.RowKey);
        Assert.Equal(subject, link.GetString("Subject"));
        var identity = await Users.GetEntityIfExistsAsync<TableEntity>(IdentityKey(subject), "oidc", cancellationToken: Ct);
        Assert.True(identity.HasValue, "no identity row");
        Assert.Equal(userId, identity.Value!.GetString("AccountId"));
    }

    private async Task<TableEntity> AccountRowAsync(string userId) =>
        (await Users.GetEntityAsync<TableEntity>(userId, "user", cancellationToken: Ct)).Value;

    private async Task<TableEntity?> LinkRowAsync(string userId)
    {
        var row = await Users.GetEntityIfExistsAsync<TableEntity>(userId, "oidc-" + Provider, cancellationToken: Ct);
        return row.HasValue ? row.Value : null;
    }

    private static string IdentityKey(string subject) => "oidc." + Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(Provider + "\n" + subject)));

    private static IEnumerable<string?> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString());
}
