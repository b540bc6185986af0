using System.Net;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Serverless.Auth.Accounts;
using Serverless.Auth.Email;
using Serverless.Auth.Storage;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Email;

/// <summary>
/// Issue 22, item 6: the per-address mail caps, counted in storage by the sender, across instances, for
/// registered and unknown addresses alike. Real Azurite (tables and queue), real maildev.
/// </summary>
public sealed class MailCapTests(AzuriteFixture azurite)
{
    private const string Password = "plum-orchard-lantern-4821";
    private const string NewPassword = "quartz-harbor-meadow-7390";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// The attack: forgot and resend in a loop (here without the per-account cooldown, and spread over two
    /// instances that share storage and the queue) put one mail in the victim's inbox per request, and each
    /// new reset mail voided the previous link. Now the address gets at most the hourly cap, whichever
    /// instance took the requests and whichever sender took the messages.
    /// </summary>
    [Fact]
    public async Task AFloodOfForgotAndResendOverTwoInstancesMailsAnAddressNoMoreThanTheHourlyCap()
    {
        await using var maildev = await MaildevProcess.StartNewAsync();
        var settings = MailApi.Settings(azurite, maildev);
        await using var first = await TestApi.StartAsync(settings, cancellationToken: Ct);
        await using var second = await TestApi.StartAsync(settings, cancellationToken: Ct);
        var victim = Emails.Unique("flood-victim");
        var unknown = Emails.Unique("flood-unknown");
        Assert.Equal(HttpStatusCode.Created, (await new SessionClient(first.Client).SignupAsync(victim, Password)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await new SessionClient(second.Client).ForgotPasswordAsync(victim)).StatusCode);
        await maildev.WaitForEmailsAsync(victim, 2, cancellationToken: Ct);

        var flood = new List<Task<HttpResponseMessage>>();
        for (var i = 0; i < 12; i++)
        {
            var attacker = new SessionClient((i % 2 == 0 ? first : second).Client);
            foreach (var address in new[] { victim, unknown })
            {
                flood.Add(i % 4 < 2 ? attacker.ForgotPasswordAsync(address) : attacker.ResendConfirmationAsync(address));
            }
        }

        // Every request answers as before: the cap is the sender's business, never the request's.
        Assert.All(await Task.WhenAll(flood), response => Assert.Equal(HttpStatusCode.Accepted, response.StatusCode));
        await maildev.WaitForEmailsAsync(victim, 5, cancellationToken: Ct);
        await WaitUntilDrainedAsync(first);
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);

        var mails = (await maildev.GetEmailsAsync(Ct)).Where(m => m.IsTo(victim)).ToList();
        Assert.Equal(5, mails.Count);
        Assert.DoesNotContain(await maildev.GetEmailsAsync(Ct), m => m.IsTo(unknown));
        // Stored state: both addresses were counted alike, up to the cap; the address without an account too.
        Assert.Equal(5, await CountedAsync(first, victim));
        Assert.Equal(5, await CountedAsync(first, unknown));
        // The dropped requests voided nothing: one of the reset links that did go out still works.
        var resets = mails.Where(m => m.Subject.StartsWith("Reset", StringComparison.Ordinal)).Select(m => MailLinks.Token(m, "reset")).ToList();
        var answers = new List<HttpStatusCode>();
        foreach (var token in resets)
        {
            answers.Add((await new SessionClient(second.Client).ResetPasswordAsync(token, NewPassword)).StatusCode);
        }

        Assert.Single(answers, status => status == HttpStatusCode.NoContent);
        Assert.Equal(HttpStatusCode.OK, (await new SessionClient(first.Client).LoginAsync(victim, NewPassword)).StatusCode);
    }

    [Fact]
    public async Task TheCapsAreRollingHourAndDayWindows()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var maildev = await MaildevProcess.StartNewAsync();
        await using var api = await MailApi.StartApiAsync(
            azurite,
            maildev,
            s =>
            {
                s["Auth:Email:MaxPerAddressPerHour"] = "2";
                s["Auth:Email:MaxPerAddressPerDay"] = "3";
            },
            b => b.Services.AddSingleton<TimeProvider>(clock));
        var email = Emails.Unique("windows");
        var browser = new SessionClient(api.Client);
        Assert.Equal(HttpStatusCode.Created, (await browser.SignupAsync(email, Password)).StatusCode);

        // Hour 0: the confirmation mail and one reset; the second reset is over the hour's 2.
        await AskForResetsAsync(api, email, 2);
        Assert.Equal(2, await MailsToAsync(maildev, email));

        // Hour 1: one more, then the day's 3 are used.
        clock.Advance(TimeSpan.FromHours(1));
        await AskForResetsAsync(api, email, 2);
        Assert.Equal(3, await MailsToAsync(maildev, email));

        // Hour 2: the hour is fresh, the day is not.
        clock.Advance(TimeSpan.FromHours(1));
        await AskForResetsAsync(api, email, 1);
        Assert.Equal(3, await MailsToAsync(maildev, email));

        // A day after the first two, they no longer count.
        clock.Advance(TimeSpan.FromHours(22));
        await AskForResetsAsync(api, email, 1);
        Assert.Equal(4, await MailsToAsync(maildev, email));
        Assert.Equal(2, await CountedAsync(api, email));

        // A day after the last mail the row limits nothing, and the clean-up removes it.
        clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        await api.Service<StorageCleanup>().RunAsync(Ct);
        Assert.Null(await CountedAsync(api, email));
    }

    /// <summary>
    /// Every kind a request can ask for counts, except the security notices (MailKinds.SecurityNotices): an attacker
    /// who used up the allowance must not silence the notice that the account's address is being changed.
    /// </summary>
    [Fact]
    public void EveryMailKindARequestCanAskForCountsTowardTheCapExceptSecurityNotices()
    {
        MailKind[] notices = [MailKind.EmailChangeNotice, MailKind.SecurityNotice];
        Assert.All(notices, kind => Assert.False(kind.CountsTowardAddressCap()));
        Assert.All(
            Enum.GetValues<MailKind>().Where(kind => !notices.Contains(kind)),
            kind => Assert.True(kind.CountsTowardAddressCap(), $"{kind} bypasses the per-address cap"));
    }

    private static async Task AskForResetsAsync(TestApi api, string email, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await new SessionClient(api.Client).ForgotPasswordAsync(email)).StatusCode);
        }

        await WaitUntilDrainedAsync(api);
    }

    private static async Task<int> MailsToAsync(MaildevProcess maildev, string email)
    {
        // Sent before the queue message was deleted, but give maildev a moment to list it.
        await Task.Delay(TimeSpan.FromMilliseconds(500), Ct);
        return (await maildev.GetEmailsAsync(Ct)).Count(m => m.IsTo(email));
    }

    /// <summary>How many mails the address's quota row counts (null: no row).</summary>
    private static async Task<int?> CountedAsync(TestApi api, string email)
    {
        var row = await api.Service<AuthTables>().MailQuotas.GetEntityIfExistsAsync<TableEntity>(EmailAddress.StorageKey(email), "quota", cancellationToken: Ct);
        return row.HasValue ? row.Value!.GetString("Sent").Split(' ').Length : null;
    }

    /// <summary>Until the queue is empty: a message is deleted only after the sender has handled it.</summary>
    private static async Task WaitUntilDrainedAsync(TestApi api)
    {
        var queue = api.Service<MailQueue>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await queue.Requests.GetPropertiesAsync(Ct)).Value.ApproximateMessagesCount > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The mail queue did not drain within 60 s.");
            await Task.Delay(200, Ct);
        }
    }
}
