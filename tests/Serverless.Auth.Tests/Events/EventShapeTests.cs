using System.Net;
using Serverless.Auth.Events;

namespace Serverless.Auth.Tests.Events;

/// <summary>Issue 31, no storage: how an event keeps the client's address, its type names and their stable log event ids.</summary>
public sealed class EventShapeTests
{
    [Theory]
    [InlineData("203.0.113.77", "203.0.113.0/24")]
    [InlineData("203.0.113.0", "203.0.113.0/24")]
    [InlineData("255.255.255.255", "255.255.255.0/24")]
    [InlineData("127.0.0.1", "127.0.0.0/24")]
    [InlineData("::ffff:203.0.113.77", "203.0.113.0/24")]
    [InlineData("::ffff:10.1.2.3", "10.1.2.0/24")]
    [InlineData("2001:db8:85a3:1234:5678:9abc:def0:1234", "2001:db8:85a3::/48")]
    [InlineData("2001:db8:85a3::", "2001:db8:85a3::/48")]
    [InlineData("2001:0db8:0001:ffff:ffff:ffff:ffff:ffff", "2001:db8:1::/48")]
    [InlineData("fe80::1:2:3:4%7", "fe80::/48")]
    [InlineData("::1", "::/48")]
    public void TheAddressIsKeptAsItsSlash24OrSlash48AndAMappedIPv4AsIPv4(string address, string prefix)
    {
        Assert.Equal(prefix, EventLog.Truncate(IPAddress.Parse(address)));
    }

    [Fact]
    public void NoAddressIsKeptAsNone() => Assert.Null(EventLog.Truncate(null));

    [Fact]
    public void ARefusedCredentialOrAReusedTokenIsAFailureAndEverythingElseASuccess()
    {
        Assert.Equal(
            [AuthEventKind.LoginFailed, AuthEventKind.LoginThrottled, AuthEventKind.RefreshReuseDetected, AuthEventKind.MfaFailed],
            Enum.GetValues<AuthEventKind>().Where(AuthEventTypes.IsFailure));
        Assert.Equal("failure", new AuthEvent(AuthEventKind.MfaFailed, "u", null, DateTimeOffset.UnixEpoch, null).Outcome);
        Assert.Equal("success", new AuthEvent(AuthEventKind.SignedIn, "u", "s", DateTimeOffset.UnixEpoch, null).Outcome);
        Assert.Equal(256, AuthEvents.MaxUserAgentLength);
    }

    /// <summary>
    /// The log event ids are what a query in Application Insights selects on: 5000 + the kind's number, named by its type.
    /// Pinned here, so a kind inserted mid-enum (renumbering the rest) or a renamed type fails.
    /// </summary>
    [Fact]
    public void EveryKindHasAStableTypeNameAndLogEventId()
    {
        (int Id, string Type)[] pinned =
        [
            (5000, "signup"), (5001, "login.succeeded"), (5002, "logout"), (5003, "logout_all"), (5004, "session.revoked"),
            (5005, "password.changed"), (5006, "password.reset"), (5007, "email.confirmed"), (5008, "email.changed"),
            (5009, "account.deleted"), (5010, "login.failed"), (5011, "login.throttled"), (5012, "refresh.reuse_detected"),
            (5013, "password.reset_requested"), (5014, "email.change_requested"), (5015, "account.disabled"),
            (5016, "account.enabled"), (5017, "mfa.enabled"), (5018, "mfa.disabled"), (5019, "mfa.recovery_codes_created"),
            (5020, "mfa.failed"), (5021, "passkey.added"), (5022, "passkey.removed"), (5023, "oidc.linked"),
            (5024, "oidc.unlinked"), (5025, "admin.user_found"), (5026, "admin.user_viewed"), (5027, "admin.events_listed"),
            (5028, "admin.signout"), (5029, "admin.resend_confirmation"),
        ];

        Assert.Equal(pinned, Enum.GetValues<AuthEventKind>().Select(k => (AuthEvents.EventIdBase + (int)k, AuthEventTypes.NameOf(k))));
        Assert.Equal(pinned.Select(p => p.Type), AuthEventTypes.All);
        Assert.All(pinned, p => Assert.True(AuthEventTypes.TryParse(p.Type, out var kind) && AuthEvents.EventIdBase + (int)kind == p.Id, p.Type));
        Assert.False(AuthEventTypes.TryParse("LOGIN.SUCCEEDED", out _));
        Assert.False(AuthEventTypes.TryParse(null, out _));
    }
}
