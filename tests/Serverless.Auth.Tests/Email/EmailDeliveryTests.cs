using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Serverless.Auth.Email;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Email;

/// <summary>Required confirmation, token expiry, the queue's retries and poison queue, the message format, and log hygiene: each on an API of its own.</summary>
public sealed class EmailDeliveryTests(AzuriteFixture azurite)
{
    private const string Password = "plum-orchard-lantern-4821";
    private const string NewPassword = "quartz-harbor-meadow-7390";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Issue 22, item 4 changed this: signup no longer creates an unconfirmed account that answers 403, it
    /// stores a pending registration, and the link creates the account (PendingRegistrationTests has the rest).
    /// </summary>
    [Fact]
    public async Task RequiredConfirmationHidesWhetherAnAddressIsRegisteredAndOnlyTheLinkCreatesTheAccount()
    {
        await using var maildev = await MaildevProcess.StartNewAsync();
        await using var api = await MailApi.StartApiAsync(azurite, maildev, s => s["Auth:Email:RequireConfirmed"] = "true");
        var registered = Emails.Unique("registered");
        var fresh = Emails.Unique("fresh");
        Assert.Equal(HttpStatusCode.Accepted, (await new SessionClient(api.Client).SignupAsync(registered, Password)).StatusCode);
        // Before the link is used there is no account: the owner's login is the generic 401, not a 403.
        await ResponseAssert.ProblemAsync(await new SessionClient(api.Client).LoginAsync(registered, Password), HttpStatusCode.Unauthorized);
        var confirmToken = MailLinks.Token(Assert.Single(await maildev.WaitForEmailsAsync(registered, cancellationToken: Ct)), "confirm");
        Assert.Equal(HttpStatusCode.OK, (await new SessionClient(api.Client).ConfirmEmailAsync(confirmToken)).StatusCode);

        var again = await new SessionClient(api.Client).SignupAsync(registered, "another-valid-passphrase-1234");
        var newcomer = await new SessionClient(api.Client).SignupAsync(fresh, Password);

        foreach (var response in new[] { again, newcomer })
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.Equal("{\"status\":\"accepted\"}", await response.Content.ReadAsStringAsync(Ct));
            Assert.Empty(SessionClient.SetCookies(response));
        }

        Assert.Equal(
            again.Headers.Select(h => h.Key).Order(StringComparer.Ordinal),
            newcomer.Headers.Select(h => h.Key).Order(StringComparer.Ordinal));

        // The newcomer gets a confirmation link; the owner of the registered address hears of the attempt, with no token in it.
        var newcomerMail = Assert.Single(await maildev.WaitForEmailsAsync(fresh, cancellationToken: Ct));
        Assert.StartsWith("Confirm your email", newcomerMail.Subject, StringComparison.Ordinal);
        var ownerMails = await maildev.WaitForEmailsAsync(registered, 2, cancellationToken: Ct);
        var attempt = Assert.Single(ownerMails, m => m.Subject == "Someone tried to sign up to Serverless Auth with your email");
        Assert.Contains("http://localhost:5173/auth/forgot", attempt.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("token=", attempt.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("token=", attempt.Html, StringComparison.Ordinal);

        // The second signup did not change the password.
        var login = await ResponseAssert.JsonAsync(await new SessionClient(api.Client).LoginAsync(registered, Password), HttpStatusCode.OK);
        Assert.True(login.GetProperty("emailConfirmed").GetBoolean());
        await ResponseAssert.ProblemAsync(await new SessionClient(api.Client).LoginAsync(registered, "another-valid-passphrase-1234"), HttpStatusCode.Unauthorized);
        await ResponseAssert.ProblemAsync(await new SessionClient(api.Client).LoginAsync(fresh, Password), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ConfirmationAndResetLinksExpire()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var maildev = await MaildevProcess.StartNewAsync();
        await using var api = await MailApi.StartApiAsync(azurite, maildev, configure: b => b.Services.AddSingleton<TimeProvider>(clock));
        var email = Emails.Unique("expiry");
        var browser = new SessionClient(api.Client);
        Assert.Equal(HttpStatusCode.Created, (await browser.SignupAsync(email, Password)).StatusCode);
        var confirmToken = MailLinks.Token(Assert.Single(await maildev.WaitForEmailsAsync(email, cancellationToken: Ct)), "confirm");
        Assert.Equal(HttpStatusCode.Accepted, (await browser.ForgotPasswordAsync(email)).StatusCode);
        var resetMail = (await maildev.WaitForEmailsAsync(email, 2, cancellationToken: Ct)).Single(m => m.Subject.StartsWith("Reset", StringComparison.Ordinal));
        Assert.Contains("expires in 30 minutes", resetMail.Text, StringComparison.Ordinal);
        var resetToken = MailLinks.Token(resetMail, "reset");

        var tokens = api.Service<Serverless.Auth.Storage.AuthTables>().MailTokens;
        Assert.Equal(2, (await tokens.QueryAsync<Azure.Data.Tables.TableEntity>(cancellationToken: Ct).ToListAsync(Ct)).Count);

        clock.Advance(TimeSpan.FromMinutes(30));
        await ResponseAssert.ProblemAsync(await browser.ResetPasswordAsync(resetToken, NewPassword), HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.OK, (await browser.LoginAsync(email, Password)).StatusCode);

        clock.Advance(TimeSpan.FromMinutes(1440 - 30));
        await ResponseAssert.ProblemAsync(await browser.ConfirmEmailAsync(confirmToken), HttpStatusCode.BadRequest);

        // The clean-up (scheduled on this fake clock too, and run here once more) removes the expired tokens' rows.
        clock.Advance(TimeSpan.FromSeconds(1));
        await api.Service<Serverless.Auth.Storage.StorageCleanup>().RunAsync(Ct);
        Assert.Empty(await tokens.QueryAsync<Azure.Data.Tables.TableEntity>(cancellationToken: Ct).ToListAsync(Ct));
    }

    [Fact]
    public async Task WhileSmtpIsDownRequestsStillAnswer202AndTheMailIsDeliveredOnceItIsBack()
    {
        await using var maildev = await MaildevProcess.StartNewAsync();
        await maildev.StopAsync();
        await using var api = await MailApi.StartApiAsync(azurite, maildev, s => s["AzureFunctionsJobHost:extensions:queues:maxDequeueCount"] = "30");
        var email = Emails.Unique("smtp-down");
        var browser = new SessionClient(api.Client);
        Assert.Equal(HttpStatusCode.Created, (await browser.SignupAsync(email, Password)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await browser.ForgotPasswordAsync(email)).StatusCode);
        var queue = api.Service<MailQueue>();

        // Attempts fail and the messages go back to the queue (retried after the 1 s visibility timeout).
        await WaitUntilAsync(async () => (await queue.Requests.GetPropertiesAsync(Ct)).Value.ApproximateMessagesCount == 2
            && (await queue.Requests.PeekMessagesAsync(2, Ct)).Value.All(m => m.DequeueCount >= 2));
        await maildev.StartAsync();

        var mails = await maildev.WaitForEmailsAsync(email, 2, cancellationToken: Ct);
        Assert.Single(mails, m => m.Subject.StartsWith("Confirm", StringComparison.Ordinal));
        Assert.Single(mails, m => m.Subject.StartsWith("Reset", StringComparison.Ordinal));
        await WaitUntilAsync(async () => (await queue.Requests.GetPropertiesAsync(Ct)).Value.ApproximateMessagesCount == 0);
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        Assert.Equal(2, (await maildev.GetEmailsAsync(Ct)).Count(m => m.IsTo(email)));
        // Each message counted once toward the address's caps, however often it was tried.
        var quota = await api.Service<Serverless.Auth.Storage.AuthTables>().MailQuotas.GetEntityAsync<Azure.Data.Tables.TableEntity>(
            Serverless.Auth.Accounts.EmailAddress.StorageKey(email), "quota", cancellationToken: Ct);
        Assert.Equal(2, quota.Value.GetString("Sent").Split(' ').Length);
        // The retried reset mail carries a working link (its token was recorded once, on the first attempt).
        var token = MailLinks.Token(mails.Single(m => m.Subject.StartsWith("Reset", StringComparison.Ordinal)), "reset");
        Assert.Equal(HttpStatusCode.NoContent, (await browser.ResetPasswordAsync(token, NewPassword)).StatusCode);
    }

    [Fact]
    public async Task AfterMaxDequeueCountFailuresTheMessageMovesToThePoisonQueueIntact()
    {
        await using var maildev = await MaildevProcess.StartNewAsync();
        await maildev.StopAsync();
        await using var api = await MailApi.StartApiAsync(azurite, maildev, s => s["AzureFunctionsJobHost:extensions:queues:maxDequeueCount"] = "2");
        var email = Emails.Unique("poison");
        Assert.Equal(HttpStatusCode.Created, (await new SessionClient(api.Client).SignupAsync(email, Password)).StatusCode);
        var queue = api.Service<MailQueue>();

        await WaitUntilAsync(async () => (await queue.Poison.GetPropertiesAsync(Ct)).Value.ApproximateMessagesCount == 1);

        var poisoned = Assert.Single((await queue.Poison.PeekMessagesAsync(10, Ct)).Value);
        var request = MailRequest.TryParse(poisoned.Body.ToString());
        Assert.NotNull(request);
        Assert.Equal(MailKind.Confirm, request.Kind);
        Assert.Equal(email, request.Email);
        Assert.Equal(0, (await queue.Requests.GetPropertiesAsync(Ct)).Value.ApproximateMessagesCount);
    }

    [Fact]
    public async Task AQueuedMessageIsBase64JsonAsTheFunctionsQueueTriggerDecodesItAndHoldsNoPassword()
    {
        // No sender in this host: the message stays in the queue to be read raw.
        await using var api = await azurite.StartApiAsync(configure: b =>
            b.Services.Remove(b.Services.Single(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(MailQueueService))));
        var email = Emails.Unique("format");
        Assert.Equal(HttpStatusCode.Created, (await new SessionClient(api.Client).SignupAsync(email, Password)).StatusCode);

        // A client with no message encoding sees the bytes on the wire, as the trigger does before its default base64 decoding.
        var raw = new QueueClient(azurite.ConnectionString, api.Settings["AUTH_EMAIL_QUEUE"]);
        var message = Assert.Single((await raw.PeekMessagesAsync(10, Ct)).Value);
        var json = Encoding.UTF8.GetString(Convert.FromBase64String(message.Body.ToString()));
        using var document = JsonDocument.Parse(json);
        Assert.Equal("Confirm", document.RootElement.GetProperty("kind").GetString());
        Assert.Equal(email, document.RootElement.GetProperty("email").GetString());
        Assert.Matches("^[A-Za-z0-9_-]{43}$", document.RootElement.GetProperty("token").GetString());
        Assert.DoesNotContain(Password, json, StringComparison.Ordinal);
        Assert.Equal(["kind", "email", "token", "requestedAt"], document.RootElement.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task MailFlowsLogNeitherTokensNorAddresses()
    {
        await using var maildev = await MaildevProcess.StartNewAsync();
        await maildev.StopAsync();
        await using var api = await MailApi.StartApiAsync(
            azurite,
            maildev,
            s =>
            {
                s["Logging:LogLevel:Default"] = "Trace";
                // Attempts come a second apart while SMTP is down: enough of them to outlast maildev's restart on a busy machine.
                s["AzureFunctionsJobHost:extensions:queues:maxDequeueCount"] = "60";
            },
            b => b.Logging.AddFakeLogging());
        const string email = "private.mailbox@example.com";
        var browser = new SessionClient(api.Client);
        Assert.Equal(HttpStatusCode.Created, (await browser.SignupAsync(email, Password)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await browser.ForgotPasswordAsync(email)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await browser.ForgotPasswordAsync("nobody.here@example.com")).StatusCode);
        await Task.Delay(TimeSpan.FromSeconds(2), Ct); // a failed attempt or two while SMTP is down
        await maildev.StartAsync();
        var mails = await maildev.WaitForEmailsAsync(email, 2, cancellationToken: Ct);
        var confirmToken = MailLinks.Token(mails.Single(m => m.Subject.StartsWith("Confirm", StringComparison.Ordinal)), "confirm");
        var resetToken = MailLinks.Token(mails.Single(m => m.Subject.StartsWith("Reset", StringComparison.Ordinal)), "reset");
        Assert.Equal(HttpStatusCode.OK, (await browser.ConfirmEmailAsync(confirmToken)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await browser.ResetPasswordAsync(resetToken, NewPassword)).StatusCode);

        var records = api.App.Services.GetFakeLogCollector().GetSnapshot();
        Assert.Contains(records, r => r.Message.Contains("mail sent", StringComparison.Ordinal));
        Assert.Contains(records, r => r.Message.Contains("retrying", StringComparison.Ordinal));
        var everything = string.Join("\n", records.Select(r => $"{r.Message} {r.Exception} {string.Join(",", r.StructuredState ?? [])}"));
        foreach (var secret in new[] { "private.mailbox", "nobody.here", confirmToken, resetToken, MailRequest.HashOf(confirmToken), MailRequest.HashOf(resetToken), Password, NewPassword })
        {
            Assert.DoesNotContain(secret, everything, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task AQueueOutageLeavesSignupWorkingAndMakesMailRequests503()
    {
        await using var storage = await AzuriteProcess.StartNewAsync();
        await using var api = await TestApi.StartAsync(TestApi.DefaultSettings(storage.ConnectionString), cancellationToken: Ct);
        await storage.StopQueueServiceAsync();
        var email = Emails.Unique("queue-down");

        // The account exists once the insert succeeded: signup answers as usual (the mail can be asked for again).
        Assert.Equal(HttpStatusCode.Created, (await new SessionClient(api.Client).SignupAsync(email, Password)).StatusCode);
        var forgot = await new SessionClient(api.Client).ForgotPasswordAsync(email);

        await ResponseAssert.ProblemAsync(forgot, HttpStatusCode.ServiceUnavailable);
        Assert.NotNull(forgot.Headers.RetryAfter);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not hold within 30 s.");
            await Task.Delay(200, Ct);
        }
    }
}
