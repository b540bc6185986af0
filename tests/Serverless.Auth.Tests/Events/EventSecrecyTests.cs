using System.Net;
using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Serverless.Auth.Email;
using Serverless.Auth.Events;
using Serverless.Auth.Http;
using Serverless.Auth.Tests.Email;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Events;

/// <summary>
/// Issue 31: after a run through every kind of flow, no stored event (any column) and no log record holds an address,
/// a password, a mailed token, a TOTP secret or code, a recovery code, or a cookie's value; and each event's log record
/// carries its stable event id (5000 + the kind) named by its type, once per stored event.
/// </summary>
public sealed class EventSecrecyTests(AzuriteFixture azurite)
{
    private const string Password = "plum-orchard-lantern-4821";
    private const string NewPassword = "quartz-harbor-meadow-7390";
    private const string ResetPassword = "saffron-glacier-tundra-5163";
    private const string WrongPassword = "tundra-wrong-guess-9917";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NoEventRowOrLogRecordHoldsAnAddressPasswordTokenCodeOrCookieAndEachEventIsLoggedWithItsId()
    {
        var mail = new CapturingMailSender();
        await using var api = await azurite.StartApiAsync(
            s =>
            {
                s["Logging:LogLevel:Default"] = "Trace";
                s["Auth:Email:MailCooldownSeconds"] = "0";
                s["AzureFunctionsJobHost:extensions:queues:maxPollingInterval"] = "00:00:00.2";
            },
            builder =>
            {
                builder.Logging.ClearProviders();
                builder.Logging.AddFakeLogging();
                builder.Services.AddSingleton<IAuthMailSender>(mail);
            });
        var tables = new EventTables(azurite, api);
        var (email, newEmail, nobody) = (Emails.Unique("ev-secret"), Emails.Unique("ev-secret-moved"), Emails.Unique("ev-secret-nobody"));
        List<string> secrets = [email, newEmail, nobody, email.Split('@')[0], newEmail.Split('@')[0], nobody.Split('@')[0], Password, NewPassword, ResetPassword, WrongPassword];
        var codes = new List<string>();
        void Keep(SessionClient client)
        {
            foreach (var value in client.Cookies.Values)
            {
                secrets.Add(value);
                if (value.Split('.') is [_, _, _, var secret])
                {
                    // A refresh token's secret, and its hash as the session row keeps it.
                    secrets.Add(secret);
                    secrets.Add(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(secret))));
                }
                else if (value.Split('.') is [_, _, var signature])
                {
                    secrets.Add(signature);
                }
            }
        }

        var browser = new SessionClient(api.Client);
        var userId = await browser.SignUpForUserIdAsync(email, Password);
        Keep(browser);
        await ResponseAssert.ProblemAsync(await new SessionClient(api.Client).LoginAsync(email, WrongPassword), HttpStatusCode.Unauthorized);
        await ResponseAssert.ProblemAsync(await new SessionClient(api.Client).LoginAsync(nobody, WrongPassword), HttpStatusCode.Unauthorized);
        var laptop = new SessionClient(api.Client);
        Assert.Equal(HttpStatusCode.OK, (await laptop.LoginAsync(email, Password)).StatusCode);
        Keep(laptop);
        Assert.Equal(HttpStatusCode.OK, (await laptop.RefreshAsync()).StatusCode);
        Keep(laptop);

        var confirmToken = await mail.LinkTokenAsync(email, "confirm");
        secrets.Add(confirmToken);
        Assert.Equal(HttpStatusCode.OK, (await new SessionClient(api.Client).ConfirmEmailAsync(confirmToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.ChangePasswordAsync(Password, NewPassword)).StatusCode);
        Keep(browser);
        Assert.Equal(HttpStatusCode.Accepted, (await browser.ForgotPasswordAsync(email)).StatusCode);
        var resetToken = await mail.LinkTokenAsync(email, "reset");
        secrets.Add(resetToken);
        await tables.UserRowsOnceAsync(userId, "password.reset_requested");
        Assert.Equal(HttpStatusCode.NoContent, (await new SessionClient(api.Client).ResetPasswordAsync(resetToken, ResetPassword)).StatusCode);

        var owner = new SessionClient(api.Client);
        Assert.Equal(HttpStatusCode.OK, (await owner.LoginAsync(email, ResetPassword)).StatusCode);
        Keep(owner);
        Assert.Equal(HttpStatusCode.Accepted, (await owner.ChangeEmailAsync(newEmail, ResetPassword)).StatusCode);
        var changeToken = await mail.LinkTokenAsync(newEmail, "email-change");
        secrets.Add(changeToken);
        Assert.Equal(HttpStatusCode.OK, (await new SessionClient(api.Client).ConfirmEmailChangeAsync(changeToken)).StatusCode);

        var setup = await ResponseAssert.JsonAsync(await owner.SendAsync(HttpMethod.Post, AuthApi.MfaTotpSetup.Path, new { password = ResetPassword }), HttpStatusCode.OK);
        var totpSecret = setup.GetProperty("secret").GetString()!;
        secrets.AddRange([totpSecret, setup.GetProperty("otpauthUri").GetString()!]);
        var code = await Oathtool.CodeAsync(totpSecret);
        codes.Add(code);
        var enabled = await ResponseAssert.JsonAsync(await owner.SendAsync(HttpMethod.Post, AuthApi.MfaTotpEnable.Path, new { code }), HttpStatusCode.OK);
        var recoveryCodes = enabled.GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString()!).ToList();
        secrets.AddRange(recoveryCodes);
        secrets.AddRange(recoveryCodes.Select(c => c.Replace("-", "", StringComparison.Ordinal)));
        Keep(owner);

        var phone = new SessionClient(api.Client);
        Assert.Equal("mfa_required", (await ResponseAssert.JsonAsync(await phone.LoginAsync(newEmail, ResetPassword), HttpStatusCode.OK)).GetProperty("status").GetString());
        Keep(phone);
        var wrongCode = ((int.Parse(code, System.Globalization.CultureInfo.InvariantCulture) + 500000) % 1000000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
        codes.Add(wrongCode);
        await ResponseAssert.ProblemAsync(await phone.SendAsync(HttpMethod.Post, AuthApi.MfaVerify.Path, new { code = wrongCode }), HttpStatusCode.BadRequest);
        await ResponseAssert.JsonAsync(await phone.SendAsync(HttpMethod.Post, AuthApi.MfaVerify.Path, new { recoveryCode = recoveryCodes[0] }), HttpStatusCode.OK);
        Keep(phone);
        Assert.Equal(HttpStatusCode.NoContent, (await laptop.LogoutAsync()).StatusCode);

        // The refused credentials and the reset mail are stored off the request: wait for them.
        await tables.FleetRowsOnceAsync(r => r.Type is "login.failed" or "mfa.failed" or "password.reset_requested", count: 4);
        var userRows = await tables.RawRowsAsync(tables.UserPrefix);
        Assert.Equal(
            ["signup", "login.failed", "login.succeeded", "email.confirmed", "password.changed", "password.reset_requested", "password.reset", "login.succeeded",
                "email.change_requested", "email.changed", "mfa.enabled", "mfa.failed", "login.succeeded", "logout"],
            userRows.Where(r => r.PartitionKey == userId).OrderByDescending(r => r.RowKey, StringComparer.Ordinal).Select(r => r.GetString("Type")));

        Assert.Equal(HttpStatusCode.NoContent, (await phone.DeleteAccountAsync(ResetPassword)).StatusCode);
        var fleetRows = await tables.RawRowsAsync(tables.FleetPrefix);
        Assert.Equal(16, fleetRows.Count);
        // The fleet has them all, the deletion, and the unknown address's failure (no user id).
        Assert.Equal(
            userRows.Select(r => (userId, r.GetString("Type")!)).Append((userId, "account.deleted")).Append(("", "login.failed")).Order(),
            fleetRows.Select(r => (r.GetString("UserId")!, r.GetString("Type")!)).Order());

        foreach (var row in userRows.Concat(fleetRows))
        {
            var text = string.Join("\n", row.Select(p => $"{p.Key}={p.Value}"));
            Assert.All(secrets, secret => Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase));
            // Six digits may turn up in a time or a key by chance: the codes are looked for where a request could put them.
            var fromRequests = string.Join("\n", new[] { "Type", "Detail", "UserAgent", "IpPrefix", "Actor", "Outcome" }.Select(row.GetString));
            Assert.All(codes, c => Assert.DoesNotContain(c, fromRequests, StringComparison.Ordinal));
        }

        var records = api.App.Services.GetFakeLogCollector().GetSnapshot();
        var logged = string.Join("\n", records.Select(r => $"{r.Message} {r.Exception} {string.Join(",", r.StructuredState ?? [])}"));
        Assert.All(secrets, secret => Assert.DoesNotContain(secret, logged, StringComparison.OrdinalIgnoreCase));

        // Each stored event logged once, with id 5000 + its kind named by its type, its user id, and the address truncated.
        var eventRecords = records.Where(r => r.Category == typeof(AuthEvents).FullName && r.Message.StartsWith("Auth event ", StringComparison.Ordinal)
            && !r.Message.Contains("was not stored", StringComparison.Ordinal)).ToList();
        Assert.Equal(fleetRows.Select(r => r.GetString("Type")!).Order(), eventRecords.Select(r => r.Id.Name!).Order());
        Assert.All(eventRecords, r =>
        {
            Assert.True(AuthEventTypes.TryParse(r.Id.Name, out var kind), r.Id.Name);
            Assert.Equal(AuthEvents.EventIdBase + (int)kind, r.Id.Id);
            Assert.Equal(kind == AuthEventKind.RefreshReuseDetected ? LogLevel.Warning : LogLevel.Information, r.Level);
            var state = r.StructuredState!.ToDictionary(p => p.Key, p => p.Value);
            Assert.Equal(r.Id.Name, state["EventType"]);
            Assert.Contains(state["UserId"], new[] { userId, "" });
            Assert.Contains(state["IpPrefix"], new[] { "127.0.0.0/24", null });
        });
        Assert.Contains(eventRecords, r => r.Id == new EventId(5000, "signup"));
        Assert.Contains(eventRecords, r => r.Id == new EventId(5010, "login.failed") && r.Message.Contains("detail no_account", StringComparison.Ordinal));
        Assert.Contains(eventRecords, r => r.Id == new EventId(5009, "account.deleted") && r.Message.Contains(userId, StringComparison.Ordinal));
    }
}
