using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Auth.Http;
using Serverless.Auth.Storage;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Passkeys;

/// <summary>
/// Passkeys (issue 29) against the release before them (<see cref="PreviousRelease.BeforePasskeys"/>, built from this
/// repository's history) running at once with this one on the same Azurite tables, as during a roll-out. That release
/// knows no passkey column, row or identity: its own writes of the account row (merges with the row's ETag, and the
/// tombstone that replaces it on deletion) must leave the passkey data consistent, and the sessions a passkey signs in
/// (amr it does not know) must keep working there. Real clocks: the two processes share no fake one.
/// </summary>
public sealed class PasskeyRolloutTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Password = "copper-meadow-violin-7305";
    private const string SecondPassword = "saffron-glacier-pylon-1846";
    private static readonly string[] DevicePasskey = ["hwk", "mfa"];

    private readonly StorageHook hook = new();
    private Dictionary<string, string?> settings = null!;
    private HostProcess previous = null!;
    private HttpClient previousClient = null!;
    private TestApi current = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        settings = azurite.Settings();
        previous = await PreviousRelease.StartAsync(settings, PreviousRelease.BeforePasskeys);
        previousClient = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = previous.BaseAddress };
        current = await TestApi.StartAsync(
            settings,
            builder =>
            {
                builder.Services.PostConfigure<StorageOptions>(o => o.PipelineObserver = hook);
                builder.Services.RemoveMailAndCleanup();
            },
            cancellationToken: Ct);
    }

    public async ValueTask DisposeAsync()
    {
        previousClient.Dispose();
        await current.DisposeAsync();
        await previous.DisposeAsync();
    }

    private TableClient Users => new(azurite.ConnectionString, settings["Auth:Storage:UsersTable"]!);

    private TableClient Sessions => new(azurite.ConnectionString, settings["Auth:Storage:SessionsTable"]!);

    /// <summary>A browser on the previous release.</summary>
    private SessionClient Old() => new(previousClient);

    /// <summary>A browser on this release.</summary>
    private SessionClient New() => new(current.Client);

    private static SoftwareAuthenticator NewAuthenticator() => new(TestApi.Frontend, "localhost");

    [Fact]
    public async Task AnAccountOfThePreviousReleaseAddsAPasskeyThatSurvivesThatReleasesPasswordAndTotpWrites()
    {
        // Written by the previous release: no passkey column.
        var email = Emails.Unique("rollout-passkey");
        var userId = await Old().SignUpForUserIdAsync(email, Password);
        Assert.False((await AccountRowAsync(userId)).ContainsKey("PasskeyCount"));

        // This release adds a passkey to it (re-authenticated by the password) and signs in with it.
        var laptop = New();
        Assert.Equal("signed_in", (await ResponseAssert.JsonAsync(await laptop.LoginAsync(email, Password), HttpStatusCode.OK)).GetProperty("status").GetString());
        using var authenticator = NewAuthenticator();
        var id = await RegisterAsync(laptop, authenticator, Password, "Laptop");
        Assert.Equal(authenticator.Credentials[0].IdBase64Url, id);
        var added = await AccountRowAsync(userId);
        Assert.Equal(1, added.GetInt32("PasskeyCount"));
        var floor = added.GetInt64("PasskeyFloor");
        Assert.True(floor > 0);
        var row = await AssertConsistentAsync(userId, [authenticator]);
        var publicKey = Assert.Single(row).GetBinary("PublicKey");
        var phone = await PasskeySignInAsync(authenticator, userId);

        // The previous release signs it in with the password (it reads the row, new columns and all) and changes the
        // password: a merge of its own columns, which leaves the count, the floor and the passkey's rows alone.
        var old = Old();
        var login = await ResponseAssert.JsonAsync(await old.LoginAsync(email, Password), HttpStatusCode.OK);
        Assert.Equal("signed_in", login.GetProperty("status").GetString());
        Assert.Equal(["pwd"], Strings(login.GetProperty("amr")));
        var changed = await ResponseAssert.JsonAsync(await old.ChangePasswordAsync(Password, SecondPassword), HttpStatusCode.OK);
        Assert.Equal(userId, changed.GetProperty("userId").GetString());
        var afterChange = await AccountRowAsync(userId);
        Assert.NotEqual(added.GetString("PasswordHash"), afterChange.GetString("PasswordHash"));
        Assert.StartsWith("$argon2id$", afterChange.GetString("PasswordHash"), StringComparison.Ordinal);
        Assert.Equal(1, afterChange.GetInt32("PasskeyCount"));
        Assert.Equal(floor, afterChange.GetInt64("PasskeyFloor"));
        Assert.Equal(publicKey, Assert.Single(await AssertConsistentAsync(userId, [authenticator])).GetBinary("PublicKey"));

        // That change ended every session of the account, the one the passkey signed in on this release too.
        await ResponseAssert.ProblemAsync(await phone.RefreshAsync(), HttpStatusCode.Unauthorized);

        // The previous release enables TOTP: its own second-factor merge (the secret, the codes, the fenced hash).
        var recoveryCodes = await EnableTotpAsync(old, SecondPassword);
        Assert.Equal(10, recoveryCodes.Count);
        var withTotp = await AccountRowAsync(userId);
        Assert.False(string.IsNullOrEmpty(withTotp.GetString("TotpSecret")));
        Assert.Equal(10, withTotp.GetString("RecoveryCodes")!.Split(',').Length);
        Assert.Equal("2fa:" + afterChange.GetString("PasswordHash"), withTotp.GetString("PasswordHash"));
        Assert.Equal(1, withTotp.GetInt32("PasskeyCount"));
        Assert.Equal(floor, withTotp.GetInt64("PasskeyFloor"));
        Assert.Equal(publicKey, Assert.Single(await AssertConsistentAsync(userId, [authenticator])).GetBinary("PublicKey"));

        // The previous release counts no passkey (it has no idea of them); this one counts the one that survived.
        var oldStatus = await ResponseAssert.JsonAsync(await old.SendAsync(HttpMethod.Get, AuthApi.MfaStatus.Path), HttpStatusCode.OK);
        Assert.True(oldStatus.GetProperty("totp").GetBoolean());
        Assert.Equal(0, oldStatus.GetProperty("passkeys").GetInt32());

        // The passkey still signs in here, alone (two factors: no second step), and is offered as a second step.
        var again = await PasskeySignInAsync(authenticator, userId);
        var status = await ResponseAssert.JsonAsync(await again.SendAsync(HttpMethod.Get, AuthApi.MfaStatus.Path), HttpStatusCode.OK);
        Assert.True(status.GetProperty("totp").GetBoolean());
        Assert.Equal(10, status.GetProperty("recoveryCodesLeft").GetInt32());
        Assert.Equal(1, status.GetProperty("passkeys").GetInt32());
        var list = await ResponseAssert.JsonAsync(await again.SendAsync(HttpMethod.Get, AuthApi.Passkeys.Path), HttpStatusCode.OK);
        var listed = Assert.Single(list.GetProperty("passkeys").EnumerateArray());
        Assert.Equal(id, listed.GetProperty("id").GetString());
        Assert.Equal("Laptop", listed.GetProperty("name").GetString());

        var here = await ResponseAssert.JsonAsync(await New().LoginAsync(email, SecondPassword), HttpStatusCode.OK);
        Assert.Equal("mfa_required", here.GetProperty("status").GetString());
        Assert.Equal(["totp", "passkey", "recovery"], Strings(here.GetProperty("methods")));
        var there = await ResponseAssert.JsonAsync(await Old().LoginAsync(email, SecondPassword), HttpStatusCode.OK);
        Assert.Equal("mfa_required", there.GetProperty("status").GetString());
        Assert.Equal(["totp", "recovery"], Strings(there.GetProperty("methods")));
    }

    [Fact]
    public async Task AnAccountThePreviousReleaseDeletedRefusesItsPasskeyWithoutASession()
    {
        using var authenticator = NewAuthenticator();
        var (email, userId, old) = await PreviousAccountWithPasskeyAsync("rollout-passkey-gone", authenticator);
        var phone = await PasskeySignInAsync(authenticator, userId);

        // The previous release deletes it: the tombstone replaces the account row (count and floor gone with the rest).
        Assert.Equal(HttpStatusCode.NoContent, (await old.DeleteAccountAsync(Password)).StatusCode);
        var tombstone = await AccountRowAsync(userId);
        Assert.True(tombstone.GetBoolean("Deleted"));
        Assert.False(tombstone.ContainsKey("PasskeyCount"));
        Assert.False(tombstone.ContainsKey("PasswordHash"));

        // The passkey is refused (401, never a 500 on the account it cannot read), and no session starts.
        var visitor = New();
        var refused = await AssertPasskeyRejectedAsync(visitor, authenticator);
        Assert.Contains("not registered", refused.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(await SessionRowsAsync(userId));
        await ResponseAssert.ProblemAsync(await phone.RefreshAsync(), HttpStatusCode.Unauthorized);
        await ResponseAssert.ProblemAsync(await New().LoginAsync(email, Password), HttpStatusCode.Unauthorized);

        // That release knew nothing of passkeys and left them behind; the refused sign-in found the account gone and removed them.
        Assert.Null(await IdentityAsync(authenticator.Credentials[0].Id));
        var left = await Users.QueryAsync<TableEntity>(r => r.PartitionKey == userId, cancellationToken: Ct).ToListAsync(Ct);
        Assert.DoesNotContain(left, r => r.RowKey.StartsWith("passkey", StringComparison.Ordinal));

        // The address signs up again here (another user id) and adds a passkey of its own; the old one stays refused.
        var again = New();
        var newId = await again.SignUpForUserIdAsync(email, Password);
        Assert.NotEqual(userId, newId);
        using var next = NewAuthenticator();
        await RegisterAsync(again, next, Password);
        await AssertConsistentAsync(newId, [next]);
        await PasskeySignInAsync(next, newId);
        await AssertPasskeyRejectedAsync(New(), authenticator);
        Assert.Empty(await SessionRowsAsync(userId));
    }

    [Fact]
    public async Task APasskeySessionIsVerifiedRefreshedAndSteppedUpByThePreviousRelease()
    {
        using var authenticator = NewAuthenticator();
        var (_, userId, laptop) = await PreviousAccountWithPasskeyAsync("rollout-passkey-session", authenticator);

        // TOTP on (enabled on the previous release), so its sensitive changes ask for a step-up.
        await EnableTotpAsync(laptop, Password);

        // Signed in with the passkey here: amr [hwk, mfa], the second factor checked just now.
        var phone = await PasskeySignInAsync(authenticator, userId);
        var stored = Assert.Single(await SessionRowsAsync(userId), s => s.GetString("Amr") == "hwk mfa");
        var checkedAt = stored.GetDateTimeOffset("SecondFactorAt");
        Assert.NotNull(checkedAt);

        // The previous release verifies it and refreshes it, the amr it does not know carried as it is.
        var there = phone.CopyTo(previousClient);
        var verified = await ResponseAssert.JsonAsync(await there.VerifyAsync(), HttpStatusCode.OK);
        Assert.Equal(userId, verified.GetProperty("userId").GetString());
        Assert.Equal(DevicePasskey, Strings(verified.GetProperty("amr")));
        var refreshed = await ResponseAssert.JsonAsync(await there.RefreshAsync(), HttpStatusCode.OK);
        Assert.Equal("signed_in", refreshed.GetProperty("status").GetString());
        Assert.Equal(DevicePasskey, Strings(refreshed.GetProperty("amr")));
        Assert.NotEqual(phone.Access, there.Access);
        var rotated = Assert.Single(await SessionRowsAsync(userId), s => s.RowKey == stored.RowKey);
        Assert.Equal("hwk mfa", rotated.GetString("Amr"));
        Assert.Equal(checkedAt, rotated.GetDateTimeOffset("SecondFactorAt"));
        Assert.True(rotated.GetInt32("Generation") > stored.GetInt32("Generation"));
        Assert.Equal(DevicePasskey, Strings((await ResponseAssert.JsonAsync(await there.CopyTo(current.Client).VerifyAsync(), HttpStatusCode.OK)).GetProperty("amr")));
        Assert.Equal(HttpStatusCode.OK, (await there.SessionsAsync()).StatusCode);

        // Its step-up: the password session that enabled TOTP must give a code; the passkey session checked one recently.
        var noCode = await ResponseAssert.ProblemAsync(
            await laptop.SendAsync(HttpMethod.Post, AuthApi.MfaRecoveryCodes.Path, new { password = Password }), HttpStatusCode.BadRequest);
        Assert.True(noCode.GetProperty("errors").TryGetProperty("code", out _));
        var codes = await ResponseAssert.JsonAsync(
            await there.SendAsync(HttpMethod.Post, AuthApi.MfaRecoveryCodes.Path, new { password = Password }), HttpStatusCode.OK);
        Assert.Equal(10, codes.GetProperty("recoveryCodes").GetArrayLength());
        var changed = await ResponseAssert.JsonAsync(await there.ChangePasswordAsync(Password, SecondPassword), HttpStatusCode.OK);
        Assert.Equal(DevicePasskey, Strings(changed.GetProperty("amr")));

        // The new session carries the check's time as the token said it (mfa_time: whole seconds).
        var carried = Assert.Single(await SessionRowsAsync(userId));
        Assert.Equal("hwk mfa", carried.GetString("Amr"));
        Assert.Equal(checkedAt.Value.ToUnixTimeSeconds(), carried.GetDateTimeOffset("SecondFactorAt")?.ToUnixTimeSeconds());

        // Back here, the session the previous release started is still a recent passkey sign-in: adding another passkey
        // asks for no password. The first passkey and its count came through all of it.
        var back = there.CopyTo(current.Client);
        Assert.Equal(DevicePasskey, Strings((await ResponseAssert.JsonAsync(await back.VerifyAsync(), HttpStatusCode.OK)).GetProperty("amr")));
        using var second = NewAuthenticator();
        await RegisterAsync(back, second, password: null);
        await AssertConsistentAsync(userId, [authenticator, second]);
        await PasskeySignInAsync(authenticator, userId);
    }

    [Fact]
    public async Task ThePreviousReleasesWritesRacingPasskeyRegistrationsLeaveTheCountAndTheRowsInStep()
    {
        var email = Emails.Unique("rollout-passkey-race");
        var old = Old();
        var userId = await old.SignUpForUserIdAsync(email, Password);
        var password = Password;
        var desk = New();
        await ResponseAssert.JsonAsync(await desk.LoginAsync(email, Password), HttpStatusCode.OK);
        List<SoftwareAuthenticator> registered = [];
        List<SoftwareAuthenticator> refused = [];
        var outcomes = new List<string>();
        string? secret = null;
        List<string> recoveryCodes = [];
        SessionClient? stepped = null;

        // Each round: the previous release writes the account row (TOTP setup, enable, a password change, new recovery
        // codes) while this release registers a passkey for it. Held rounds: this release has read the account and
        // verified the answer when its transaction (the row and the count, with the account's ETag) is held until the
        // previous release's request has answered, so that write lands in between. Free rounds: both start at once (the
        // registration a little later each time) and land as they come, mostly inside the other's password hashing.
        string[] rounds = ["totp-setup", "totp-enable", "password", "recovery-codes", "recovery-codes", "password"];
        for (var round = 0; round < rounds.Length; round++)
        {
            SessionClient registering;
            JsonElement options;
            if (round < 2)
            {
                // Before TOTP is on, the password re-authenticates the session that signed in with it.
                registering = desk;
                options = await RegisterOptionsAsync(registering, password);
            }
            else
            {
                // After (its enable ended every other session), a passkey signs in: a second factor checked just now.
                Assert.True(registered.Count > 0, "no registration landed in the first rounds: " + string.Join("; ", outcomes));
                registering = await PasskeySignInAsync(registered[0], userId);
                options = await RegisterOptionsAsync(registering, password: null);
            }

            if (round == 2)
            {
                // The previous release's own second-step sign-in (a recovery code), so its later changes need no code.
                stepped = await SecondStepOnPreviousAsync(email, password, recoveryCodes[0]);
            }

            var authenticator = NewAuthenticator();
            var credential = authenticator.Register(options);
            var action = rounds[round];
            var newPassword = $"{SecondPassword}-{round}";
            async Task<HttpResponseMessage> OldWriteAsync() => action switch
            {
                "totp-setup" => await old.SendAsync(HttpMethod.Post, AuthApi.MfaTotpSetup.Path, new { password }),
                "totp-enable" => await old.SendAsync(HttpMethod.Post, AuthApi.MfaTotpEnable.Path, new { code = await Oathtool.CodeAsync(secret!) }),
                "password" => await stepped!.ChangePasswordAsync(password, newPassword),
                _ => await stepped!.SendAsync(HttpMethod.Post, AuthApi.MfaRecoveryCodes.Path, new { password }),
            };
            async Task<HttpResponseMessage> RegisterLaterAsync(int delay)
            {
                await Task.Delay(delay, Ct);
                return await registering.SendAsync(HttpMethod.Post, AuthApi.PasskeyRegister.Path, new { credential, name = $"Round {round}" });
            }

            HttpResponseMessage oldAnswer, newAnswer;
            var held = round % 2 == 0;
            if (held)
            {
                // Once the previous release has answered, the hook watches for the transaction sent again (the first
                // one refused by the ETag the other write moved).
                Task<HttpResponseMessage>? oldWrite = null;
                var resent = false;
                hook.Arm(
                    (method, table) => method == "POST" && table == "$batch",
                    before: async () =>
                    {
                        await (oldWrite = OldWriteAsync());
                        hook.Arm((method, table) => method == "POST" && table == "$batch" && (resent = true));
                    });
                newAnswer = await RegisterLaterAsync(0);
                hook.Arm((_, _) => false);
                Assert.NotNull(oldWrite);
                Assert.True(resent, $"round {round} ({action}): the held transaction was not sent again");
                oldAnswer = await oldWrite;
                outcomes.Add($"{action}: previous {(int)oldAnswer.StatusCode}, registration {(int)newAnswer.StatusCode} (held)");
            }
            else
            {
                var oldWrite = OldWriteAsync();
                var registration = RegisterLaterAsync(round * 60);
                var first = await Task.WhenAny(oldWrite, registration);
                (oldAnswer, newAnswer) = (await oldWrite, await registration);
                outcomes.Add($"{action}: previous {(int)oldAnswer.StatusCode}, registration {(int)newAnswer.StatusCode} (+{round * 60} ms, {(first == registration ? "registration" : "previous")} answered first)");
            }

            // The previous release's write lands (in free rounds mostly after losing its ETag to the registration and
            // reading the row again).
            var oldBody = await ResponseAssert.JsonAsync(oldAnswer, HttpStatusCode.OK);
            switch (action)
            {
                case "totp-setup":
                    secret = oldBody.GetProperty("secret").GetString();
                    break;
                case "totp-enable":
                    recoveryCodes = [.. Strings(oldBody.GetProperty("recoveryCodes")).Select(c => c!)];
                    Assert.Equal(10, recoveryCodes.Count);
                    break;
                case "password":
                    password = newPassword;
                    Assert.Equal(["pwd", "mfa", "rcv"], Strings(oldBody.GetProperty("amr")));
                    break;
                default:
                    Assert.Equal(10, oldBody.GetProperty("recoveryCodes").GetArrayLength());
                    break;
            }

            // The registration lands, or is refused cleanly: its session ended by the other write (401), or the account
            // kept changing (409). Never a 500, never a row without its count. Held, it read the account again and landed.
            Assert.True(!held || newAnswer.StatusCode == HttpStatusCode.OK, $"round {round} ({action}, held): {(int)newAnswer.StatusCode} {await newAnswer.Content.ReadAsStringAsync(Ct)}");
            if (newAnswer.StatusCode == HttpStatusCode.OK)
            {
                var info = await ResponseAssert.JsonAsync(newAnswer, HttpStatusCode.OK);
                Assert.Equal(authenticator.Credentials[0].IdBase64Url, info.GetProperty("id").GetString());
                registered.Add(authenticator);
            }
            else
            {
                Assert.True(
                    newAnswer.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Conflict,
                    $"round {round} ({action}): registration answered {(int)newAnswer.StatusCode}: {await newAnswer.Content.ReadAsStringAsync(Ct)}");
                await ResponseAssert.ProblemAsync(newAnswer, newAnswer.StatusCode);
                refused.Add(authenticator);
                Assert.Null(await IdentityAsync(authenticator.Credentials[0].Id));
            }

            await AssertConsistentAsync(userId, registered);
            var row = await AccountRowAsync(userId);
            var totpOn = !string.IsNullOrEmpty(row.GetString("TotpSecret"));
            Assert.Equal(round >= 1, totpOn);
            Assert.Equal(totpOn, row.GetString("PasswordHash")!.StartsWith("2fa:", StringComparison.Ordinal));
        }

        // Every passkey that registered signs in here; every refused one does not. The last password signs in on both
        // releases (with the second step TOTP asks for), this one offering the passkeys too.
        foreach (var authenticator in registered)
        {
            await PasskeySignInAsync(authenticator, userId);
        }

        foreach (var authenticator in refused)
        {
            await AssertPasskeyRejectedAsync(New(), authenticator);
        }

        var here = await ResponseAssert.JsonAsync(await New().LoginAsync(email, password), HttpStatusCode.OK);
        Assert.Equal(["totp", "passkey", "recovery"], Strings(here.GetProperty("methods")));
        var there = await ResponseAssert.JsonAsync(await Old().LoginAsync(email, password), HttpStatusCode.OK);
        Assert.Equal(["totp", "recovery"], Strings(there.GetProperty("methods")));
        Assert.NotEmpty(registered);
        registered.Concat(refused).ToList().ForEach(a => a.Dispose());
        TestContext.Current.SendDiagnosticMessage(string.Join("; ", outcomes));
    }

    /// <summary>
    /// An account signed up on the previous release (its session there returned), signed in here with the password,
    /// which re-authenticates adding a passkey from <paramref name="authenticator"/>.
    /// </summary>
    private async Task<(string Email, string UserId, SessionClient OnPrevious)> PreviousAccountWithPasskeyAsync(string name, SoftwareAuthenticator authenticator)
    {
        var email = Emails.Unique(name);
        var onPrevious = Old();
        var userId = await onPrevious.SignUpForUserIdAsync(email, Password);
        var here = New();
        Assert.Equal("signed_in", (await ResponseAssert.JsonAsync(await here.LoginAsync(email, Password), HttpStatusCode.OK)).GetProperty("status").GetString());
        await RegisterAsync(here, authenticator, Password);
        await AssertConsistentAsync(userId, [authenticator]);
        return (email, userId, onPrevious);
    }

    /// <summary>Sets up TOTP on the previous release (the password), enables it with an oathtool code; returns the recovery codes.</summary>
    private static async Task<IReadOnlyList<string>> EnableTotpAsync(SessionClient session, string password)
    {
        var setup = await ResponseAssert.JsonAsync(await session.SendAsync(HttpMethod.Post, AuthApi.MfaTotpSetup.Path, new { password }), HttpStatusCode.OK);
        var code = await Oathtool.CodeAsync(setup.GetProperty("secret").GetString()!);
        var enabled = await ResponseAssert.JsonAsync(await session.SendAsync(HttpMethod.Post, AuthApi.MfaTotpEnable.Path, new { code }), HttpStatusCode.OK);
        return [.. Strings(enabled.GetProperty("recoveryCodes")).Select(c => c!)];
    }

    /// <summary>Signs in on the previous release with the password and then a recovery code.</summary>
    private async Task<SessionClient> SecondStepOnPreviousAsync(string email, string password, string recoveryCode)
    {
        var session = Old();
        var first = await ResponseAssert.JsonAsync(await session.LoginAsync(email, password), HttpStatusCode.OK);
        Assert.Equal("mfa_required", first.GetProperty("status").GetString());
        var second = await ResponseAssert.JsonAsync(await session.SendAsync(HttpMethod.Post, AuthApi.MfaVerify.Path, new { recoveryCode }), HttpStatusCode.OK);
        Assert.Equal(["pwd", "mfa", "rcv"], Strings(second.GetProperty("amr")));
        return session;
    }

    private static async Task<JsonElement> RegisterOptionsAsync(SessionClient session, string? password) =>
        await ResponseAssert.JsonAsync(
            await session.SendAsync(HttpMethod.Post, AuthApi.PasskeyRegisterOptions.Path, new { password }), HttpStatusCode.OK);

    /// <summary>Adds a passkey from <paramref name="authenticator"/> on this release (the password as re-authentication, unless null); returns its id.</summary>
    private static async Task<string> RegisterAsync(SessionClient session, SoftwareAuthenticator authenticator, string? password, string? name = null)
    {
        var options = await RegisterOptionsAsync(session, password);
        var registered = await ResponseAssert.JsonAsync(
            await session.SendAsync(HttpMethod.Post, AuthApi.PasskeyRegister.Path, new { credential = authenticator.Register(options), name }), HttpStatusCode.OK);
        return registered.GetProperty("id").GetString()!;
    }

    /// <summary>Signs in on this release with the passkey alone: asserts 200, the account and amr [hwk, mfa].</summary>
    private async Task<SessionClient> PasskeySignInAsync(SoftwareAuthenticator authenticator, string userId)
    {
        var visitor = New();
        var session = await ResponseAssert.JsonAsync(await PasskeyLoginAsync(visitor, authenticator), HttpStatusCode.OK);
        Assert.Equal("signed_in", session.GetProperty("status").GetString());
        Assert.Equal(userId, session.GetProperty("userId").GetString());
        Assert.Equal(DevicePasskey, Strings(session.GetProperty("amr")));
        Assert.NotNull(visitor.Access);
        return visitor;
    }

    private static async Task<HttpResponseMessage> PasskeyLoginAsync(SessionClient visitor, SoftwareAuthenticator authenticator)
    {
        var options = await ResponseAssert.JsonAsync(await visitor.SendAsync(HttpMethod.Post, AuthApi.PasskeyLoginOptions.Path), HttpStatusCode.OK);
        JsonObject credential = authenticator.Assert(options);
        return await visitor.SendAsync(HttpMethod.Post, AuthApi.PasskeyLogin.Path, new { credential });
    }

    /// <summary>Refused with 401 passkey_rejected and no session cookie.</summary>
    private static async Task<JsonElement> AssertPasskeyRejectedAsync(SessionClient visitor, SoftwareAuthenticator authenticator)
    {
        var response = await PasskeyLoginAsync(visitor, authenticator);
        var problem = await ResponseAssert.ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("passkey_rejected", problem.GetProperty("code").GetString());
        Assert.DoesNotContain(SessionClient.SetCookies(response), c => c.Name == "auth" || c.Name == "refresh");
        return problem;
    }

    /// <summary>
    /// The stored passkey data of the account agree: its count is the number of its passkey rows, which are exactly
    /// <paramref name="authenticators"/>' credentials, each with an identity pointing back. Returns the rows.
    /// </summary>
    private async Task<IReadOnlyList<TableEntity>> AssertConsistentAsync(string userId, IReadOnlyCollection<SoftwareAuthenticator> authenticators)
    {
        var account = await AccountRowAsync(userId);
        var rows = await Users.QueryAsync<TableEntity>(e => e.PartitionKey == userId, cancellationToken: Ct)
            .Where(r => r.RowKey.StartsWith("passkey-", StringComparison.Ordinal)).ToListAsync(Ct);
        Assert.Equal(rows.Count, account.GetInt32("PasskeyCount") ?? 0);
        Assert.Equal(
            authenticators.Select(a => "passkey-" + KeyOf(a.Credentials[0].Id)).Order(StringComparer.Ordinal),
            rows.Select(r => r.RowKey).Order(StringComparer.Ordinal));
        foreach (var authenticator in authenticators)
        {
            var identity = await IdentityAsync(authenticator.Credentials[0].Id);
            Assert.NotNull(identity);
            Assert.Equal("passkey", identity.GetString("Kind"));
            Assert.Equal(userId, identity.GetString("AccountId"));
        }

        return rows;
    }

    private async Task<TableEntity> AccountRowAsync(string userId) =>
        (await Users.GetEntityAsync<TableEntity>(userId, "user", cancellationToken: Ct)).Value;

    private async Task<TableEntity?> IdentityAsync(byte[] credentialId)
    {
        var row = await Users.GetEntityIfExistsAsync<TableEntity>("passkey." + KeyOf(credentialId), "passkey", cancellationToken: Ct);
        return row.HasValue ? row.Value : null;
    }

    private async Task<List<TableEntity>> SessionRowsAsync(string userId) =>
        await Sessions.QueryAsync<TableEntity>(e => e.PartitionKey == userId, cancellationToken: Ct).ToListAsync(Ct);

    private static string KeyOf(byte[] credentialId) => Base64Url.EncodeToString(SHA256.HashData(credentialId));

    private static IEnumerable<string?> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString());
}
