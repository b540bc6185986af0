using System.Net;
using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using Serverless.Auth.Accounts;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Admin;

/// <summary>
/// An admin's delete is the owner's own deletion (issue 31): two accounts set up alike, one deleted by its owner and one
/// by an admin, leave the same stored state (account tombstoned, address freed, sessions, passkeys, backoff and the
/// user's own events gone, the sign-out cut-off written), and both addresses can sign up again.
/// </summary>
public sealed class AdminDeleteTests(AdminHosts hosts) : IClassFixture<AdminHosts>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private TestApi A => hosts.First;

    private TestApi B => hosts.Second;

    private sealed record Prepared(Member Member, SoftwareAuthenticator Authenticator, string PasskeyKey, SessionClient OnB);

    /// <summary>A password, a passkey, a second session on B, a wrong password counted, events in its log.</summary>
    private async Task<Prepared> PrepareAsync(string name)
    {
        var member = await Members.SignUpAsync(A, name);
        var authenticator = Members.NewAuthenticator();
        var passkeyKey = await Members.AddPasskeyAsync(member.Browser, authenticator);
        var onB = new SessionClient(B.Client);
        Assert.Equal(HttpStatusCode.OK, (await onB.LoginAsync(member.Email, AdminHosts.Password)).StatusCode);
        await ResponseAssert.ProblemAsync(await new SessionClient(A.Client).LoginAsync(member.Email, "wrong-" + AdminHosts.Password), HttpStatusCode.Unauthorized);
        // A failed login's event is written off the response path: wait for it, so it cannot land after the deletion.
        await ResponseAssert.EventuallyAsync(async () => (await hosts.UserEventRowsAsync(member.UserId)).Any(r => r.GetString("Type") == "login.failed"), TimeSpan.FromSeconds(5));
        Assert.NotEmpty(await AdminHosts.PartitionAsync(hosts.Throttle, EmailAddress.StorageKey(member.Email)));
        Assert.Equal(2, (await AdminHosts.PartitionAsync(hosts.Sessions, member.UserId)).Count);
        return new Prepared(member, authenticator, passkeyKey, onB);
    }

    /// <summary>
    /// The account's stored state, with its own ids taken out so that two accounts compare: every row of its partitions
    /// (account, address identity, passkey identity, sessions, backoff) as its key shape and columns, its own event rows,
    /// and its sign-out cut-off.
    /// </summary>
    private async Task<List<string>> StoredStateAsync(Prepared prepared)
    {
        var (userId, email) = (prepared.Member.UserId, prepared.Member.Email);
        var state = new List<string>();
        async Task RowsAsync(string what, TableClient table, string partition)
        {
            foreach (var row in (await AdminHosts.PartitionAsync(table, partition)).OrderBy(r => r.RowKey, StringComparer.Ordinal))
            {
                var key = row.RowKey.Replace(prepared.PasskeyKey, "<passkey>", StringComparison.Ordinal).Replace(userId, "<user>", StringComparison.Ordinal);
                var columns = row.Keys.Where(k => k is not ("PartitionKey" or "RowKey" or "Timestamp" or "odata.etag")).Order(StringComparer.Ordinal)
                    .Select(k => row[k] is bool or null ? $"{k}={row[k]}" : row[k] is string text && (text.Length == 0 || text == userId) ? $"{k}='{text.Replace(userId, "<user>", StringComparison.Ordinal)}'" : k);
                state.Add($"{what} {key}: {string.Join(", ", columns)}");
            }
        }

        await RowsAsync("account", hosts.Users, userId);
        await RowsAsync("address", hosts.Users, EmailAddress.StorageKey(email));
        await RowsAsync("passkey identity", hosts.Users, "passkey." + prepared.PasskeyKey);
        await RowsAsync("session", hosts.Sessions, userId);
        await RowsAsync("backoff", hosts.Throttle, EmailAddress.StorageKey(email));
        state.Add("own events: " + (await hosts.UserEventRowsAsync(userId)).Count);
        var cutoffKey = "usr:" + userId;
        var cutoff = await hosts.Revocations.GetEntityIfExistsAsync<TableEntity>(
            Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(cutoffKey))), cutoffKey, cancellationToken: Ct);
        state.Add("sign-out cut-off: " + (cutoff.HasValue && cutoff.Value?.GetDateTimeOffset("NotBefore") is not null));
        return state;
    }

    [Fact]
    public async Task AnAdminsDeleteLeavesWhatTheOwnersOwnDeleteLeavesAndBothAddressesSignUpAgain()
    {
        var since = DateTimeOffset.UtcNow;
        var own = await PrepareAsync("self-delete");
        var admins = await PrepareAsync("admin-delete");

        Assert.Equal(HttpStatusCode.NoContent, (await own.Member.Browser.DeleteAccountAsync(AdminHosts.Password)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await hosts.ActAsync(B, admins.Member.UserId, "delete")).StatusCode);

        var ownState = await StoredStateAsync(own);
        var adminState = await StoredStateAsync(admins);
        Assert.Equal(ownState, adminState);
        // Both gone: the account row a tombstone, no session, passkey, backoff or own event left; the cut-off written.
        Assert.Contains(ownState, line => line.StartsWith("account user: ", StringComparison.Ordinal) && line.Contains("Deleted=True", StringComparison.Ordinal));
        Assert.DoesNotContain(ownState, line => line.StartsWith("session", StringComparison.Ordinal) || line.StartsWith("backoff", StringComparison.Ordinal)
            || line.StartsWith("passkey", StringComparison.Ordinal) || line.StartsWith("account passkey", StringComparison.Ordinal));
        Assert.DoesNotContain(ownState, line => line.StartsWith("address", StringComparison.Ordinal) && line.Contains("AccountId='<user>'", StringComparison.Ordinal));
        Assert.Contains("own events: 0", ownState);
        Assert.Contains("sign-out cut-off: True", ownState);

        foreach (var deleted in new[] { own, admins })
        {
            // Every session ends on both instances (A hears of the admin's delete on B within 2 s), and nothing signs in.
            foreach (var on in new[] { A, B })
            {
                foreach (var browser in new[] { deleted.Member.Browser, deleted.OnB })
                {
                    await ResponseAssert.EventuallyAsync(async () => (await browser.CopyTo(on.Client).VerifyAsync()).StatusCode == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(2));
                    await ResponseAssert.ProblemAsync(await browser.CopyTo(on.Client).RefreshAsync(), HttpStatusCode.Unauthorized);
                }
            }

            await ResponseAssert.ProblemAsync(await new SessionClient(A.Client).LoginAsync(deleted.Member.Email, AdminHosts.Password), HttpStatusCode.Unauthorized);
            var (passkey, _) = await Members.PasskeyLoginAsync(A, deleted.Authenticator);
            await ResponseAssert.ProblemAsync(passkey, HttpStatusCode.Unauthorized);
            await ResponseAssert.ProblemAsync(await hosts.GetAsync(A, deleted.Member.UserId), HttpStatusCode.NotFound);
            await ResponseAssert.ProblemAsync(await hosts.FindAsync(B, deleted.Member.Email), HttpStatusCode.NotFound);
            await ResponseAssert.ProblemAsync(await hosts.ActAsync(A, deleted.Member.UserId, "delete"), HttpStatusCode.NotFound);

            var reborn = await new SessionClient(B.Client).SignUpForUserIdAsync(deleted.Member.Email, AdminHosts.Password);
            Assert.NotEqual(deleted.Member.UserId, reborn);
            var summary = await ResponseAssert.JsonAsync(await hosts.FindAsync(A, deleted.Member.Email), HttpStatusCode.OK);
            Assert.Equal(reborn, summary.GetProperty("userId").GetString());
            Assert.Equal(0, summary.GetProperty("factors").GetProperty("passkeys").GetInt32());
            deleted.Authenticator.Dispose();
        }

        // The fleet log keeps the deletions, with the user id only; the admin's carries its subject, the owner's none.
        var deletions = (await ResponseAssert.JsonAsync(
            await hosts.EventsAsync(A, "?type=account.deleted&since=" + Uri.EscapeDataString(since.ToString("O"))), HttpStatusCode.OK)).GetProperty("events").EnumerateArray().ToList();
        var byOwner = Assert.Single(deletions, e => e.GetProperty("userId").GetString() == own.Member.UserId);
        var byAdmin = Assert.Single(deletions, e => e.GetProperty("userId").GetString() == admins.Member.UserId);
        Assert.True(!byOwner.TryGetProperty("actor", out var ownActor) || ownActor.ValueKind == System.Text.Json.JsonValueKind.Null, byOwner.ToString());
        Assert.Equal(AdminHosts.Subject, byAdmin.GetProperty("actor").GetString());
    }
}
