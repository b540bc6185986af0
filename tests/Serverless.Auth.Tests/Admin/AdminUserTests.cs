using System.Net;
using System.Text.Json;
using Serverless.Auth.Tests.Email;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Oidc;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Admin;

/// <summary>
/// The admin API's account routes (issue 31): find by address (canonicalized as signup does) and read by id, a summary
/// with no secret in it; sign out everywhere; resend the confirmation mail; unknown or malformed ids are 404.
/// </summary>
public sealed class AdminUserTests(AdminHosts hosts) : IClassFixture<AdminHosts>
{
    private static readonly string[] SummaryFields = ["userId", "email", "status", "emailConfirmed", "disabled", "createdAt", "lastSignInAt", "factors", "sessions"];
    private static readonly string[] FactorFields = ["password", "totp", "recoveryCodes", "passkeys", "providers"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private TestApi A => hosts.First;

    private TestApi B => hosts.Second;

    private static async Task<(JsonElement Json, string Body)> SummaryAsync(HttpResponseMessage response)
    {
        var json = await ResponseAssert.JsonAsync(response, HttpStatusCode.OK);
        return (json, json.GetRawText());
    }

    /// <summary>Only the documented fields, and nothing that looks like a secret: no hash, no TOTP secret, no token, no cookie value.</summary>
    private static void AssertNoSecrets(JsonElement summary, string body, params string[] secrets)
    {
        Assert.Equal(SummaryFields, Members.Names(summary));
        Assert.Equal(FactorFields, Members.Names(summary.GetProperty("factors")));
        foreach (var word in new[] { "hash", "secret", "token", "argon2", "$", "refresh", "recovery\":" })
        {
            Assert.DoesNotContain(word, body, StringComparison.OrdinalIgnoreCase);
        }

        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task FindCanonicalizesTheAddressAndGivesTheSummaryWithoutSecrets()
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var member = await Members.SignUpAsync(A, "find-me");
        var laptop = new SessionClient(B.Client);
        Assert.Equal(HttpStatusCode.OK, (await laptop.LoginAsync(member.Email, AdminHosts.Password)).StatusCode);
        var after = DateTimeOffset.UtcNow.AddSeconds(1);

        var (found, body) = await SummaryAsync(await hosts.FindAsync(A, "  " + member.Email.ToUpperInvariant() + " "));

        AssertNoSecrets(found, body, AdminHosts.Password, member.Browser.Access!, member.Browser.Refresh!, laptop.Refresh!);
        Assert.Equal(member.UserId, found.GetProperty("userId").GetString());
        Assert.Equal(member.Email, found.GetProperty("email").GetString());
        Assert.Equal("active", found.GetProperty("status").GetString());
        Assert.False(found.GetProperty("emailConfirmed").GetBoolean());
        Assert.False(found.GetProperty("disabled").GetBoolean());
        Assert.InRange(found.GetProperty("createdAt").GetDateTimeOffset(), before, after);
        var lastSignIn = found.GetProperty("lastSignInAt").GetDateTimeOffset();
        Assert.InRange(lastSignIn, found.GetProperty("createdAt").GetDateTimeOffset(), after);
        Assert.Equal(2, found.GetProperty("sessions").GetInt32());
        var factors = found.GetProperty("factors");
        Assert.True(factors.GetProperty("password").GetBoolean());
        Assert.False(factors.GetProperty("totp").GetBoolean());
        Assert.Equal(0, factors.GetProperty("recoveryCodes").GetInt32());
        Assert.Equal(0, factors.GetProperty("passkeys").GetInt32());
        Assert.Empty(factors.GetProperty("providers").EnumerateArray());

        // By id, on the other instance: the same summary.
        var (byId, _) = await SummaryAsync(await hosts.GetAsync(B, member.UserId));
        Assert.Equal(body, byId.GetRawText());
    }

    [Fact]
    public async Task TheSummaryCountsEveryFactorAndNamesLinkedProvidersButShowsNoSecret()
    {
        var member = await Members.SignUpAsync(A, "factors");
        using var authenticator = Members.NewAuthenticator();
        await Members.AddPasskeyAsync(member.Browser, authenticator);
        var totpSecret = await Members.EnableTotpAsync(member.Browser);

        var (summary, body) = await SummaryAsync(await hosts.GetAsync(A, member.UserId));

        AssertNoSecrets(summary, body, totpSecret, AdminHosts.Password);
        var factors = summary.GetProperty("factors");
        Assert.True(factors.GetProperty("totp").GetBoolean());
        Assert.Equal(10, factors.GetProperty("recoveryCodes").GetInt32());
        Assert.Equal(1, factors.GetProperty("passkeys").GetInt32());

        // An account a provider made: no password, the provider listed.
        var email = Emails.Unique("factors-social");
        var (exchange, _) = await Members.SocialSignInAsync(B, hosts.Social, "factors-" + Guid.NewGuid().ToString("N"), email);
        var userId = (await OidcTestFlow.SignedInAsync(exchange)).GetProperty("userId").GetString()!;
        var (social, socialBody) = await SummaryAsync(await hosts.FindAsync(A, email));
        AssertNoSecrets(social, socialBody);
        Assert.Equal(userId, social.GetProperty("userId").GetString());
        Assert.True(social.GetProperty("emailConfirmed").GetBoolean());
        Assert.False(social.GetProperty("factors").GetProperty("password").GetBoolean());
        Assert.Equal([AdminHosts.SocialProvider], social.GetProperty("factors").GetProperty("providers").EnumerateArray().Select(p => p.GetString()));
    }

    [Theory]
    [InlineData("0190f1c2-1111-7aaa-8bbb-000000000000")]
    [InlineData("not*an*id")]
    [InlineData("user id")]
    [InlineData("passkey.abc")]
    [InlineData("~legacy-move")]
    [InlineData("a-very-long-id-0123456789-0123456789-0123456789-0123456789-0123456789")]
    public async Task AnUnknownOrMalformedIdIsNotFoundOnEveryRoute(string userId)
    {
        var member = await hosts.BystanderAsync();

        await ResponseAssert.ProblemAsync(await hosts.GetAsync(A, userId), HttpStatusCode.NotFound);
        foreach (var action in new[] { "disable", "enable", "signout", "delete", "resend-confirmation" })
        {
            await ResponseAssert.ProblemAsync(await hosts.ActAsync(B, userId, action), HttpStatusCode.NotFound);
        }

        Assert.Equal(HttpStatusCode.OK, (await member.Browser.VerifyAsync()).StatusCode);
    }

    [Fact]
    public async Task FindAnswers404ForAnUnknownAddressAnd400ForABadOne()
    {
        var member = await hosts.BystanderAsync();

        await ResponseAssert.ProblemAsync(await hosts.FindAsync(A, Emails.Unique("nobody")), HttpStatusCode.NotFound);
        // A look-alike of an existing address is another address.
        await ResponseAssert.ProblemAsync(await hosts.FindAsync(A, member.Email.Replace("@", "\u200B@", StringComparison.Ordinal)), HttpStatusCode.BadRequest);
        foreach (var bad in new[] { "not an address", "", "   " })
        {
            var problem = await ResponseAssert.ProblemAsync(await hosts.FindAsync(A, bad), HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty("email", out _), problem.ToString());
        }

        var noBody = await AdminHosts.SendAsync(A, HttpMethod.Post, AdminHosts.Base + "/users/find", hosts.Token());
        await ResponseAssert.ProblemAsync(noBody, HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task SignOutEndsEverySessionOnEveryInstanceAndTheAccountSignsInAgain()
    {
        var member = await Members.SignUpAsync(A, "admin-signout");
        var onB = new SessionClient(B.Client);
        Assert.Equal(HttpStatusCode.OK, (await onB.LoginAsync(member.Email, AdminHosts.Password)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await onB.CopyTo(A.Client).VerifyAsync()).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await member.Browser.VerifyAsync()).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await hosts.ActAsync(B, member.UserId, "signout")).StatusCode);

        await ResponseAssert.ProblemAsync(await onB.CopyTo(B.Client).VerifyAsync(), HttpStatusCode.Unauthorized);
        foreach (var browser in new[] { member.Browser, onB.CopyTo(A.Client) })
        {
            await ResponseAssert.EventuallyAsync(async () => (await browser.CopyTo(A.Client).VerifyAsync()).StatusCode == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(2));
            await ResponseAssert.ProblemAsync(await browser.CopyTo(A.Client).RefreshAsync(), HttpStatusCode.Unauthorized);
        }

        Assert.Empty(await AdminHosts.PartitionAsync(hosts.Sessions, member.UserId));
        Assert.Equal(0, (await ResponseAssert.JsonAsync(await hosts.GetAsync(B, member.UserId), HttpStatusCode.OK)).GetProperty("sessions").GetInt32());
        // Not disabled: the owner signs in again.
        var again = new SessionClient(A.Client);
        Assert.Equal(HttpStatusCode.OK, (await again.LoginAsync(member.Email, AdminHosts.Password)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await again.CopyTo(B.Client).VerifyAsync()).StatusCode);
    }

    [Fact]
    public async Task ResendConfirmationMailsAnUnconfirmedAccountAndIs409OnceConfirmed()
    {
        var member = await Members.SignUpAsync(A, "admin-resend");
        await hosts.Mail.WaitAsync(member.Email);

        var resent = await hosts.ActAsync(B, member.UserId, "resend-confirmation");

        Assert.Equal(HttpStatusCode.Accepted, resent.StatusCode);
        var mail = await hosts.Mail.WaitAsync(member.Email, count: 2);
        var confirmed = await new SessionClient(A.Client).ConfirmEmailAsync(MailLinks.Token(mail, "confirm"));
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        Assert.True((await ResponseAssert.JsonAsync(await hosts.GetAsync(A, member.UserId), HttpStatusCode.OK)).GetProperty("emailConfirmed").GetBoolean());

        var again = await ResponseAssert.ProblemAsync(await hosts.ActAsync(A, member.UserId, "resend-confirmation"), HttpStatusCode.Conflict);
        Assert.Contains("confirmed", again.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await Task.Delay(300, Ct);
        Assert.Equal(2, hosts.Mail.To(member.Email).Count);
    }

    [Fact]
    public async Task ResendConfirmationForADisabledAccountIsAcceptedButSendsNothing()
    {
        var member = await Members.SignUpAsync(A, "admin-resend-disabled");
        await hosts.Mail.WaitAsync(member.Email);
        await hosts.SetDisabledAsync(A, member.UserId, disabled: true);
        var skipped = hosts.Logs.Count("Confirm mail not sent: the account is disabled");

        Assert.Equal(HttpStatusCode.Accepted, (await hosts.ActAsync(B, member.UserId, "resend-confirmation")).StatusCode);

        await hosts.Logs.WaitForAsync("Confirm mail not sent: the account is disabled", skipped);
        Assert.Single(hosts.Mail.To(member.Email));
    }
}
