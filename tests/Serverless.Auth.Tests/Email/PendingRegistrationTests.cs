using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Serverless.Auth.Accounts;
using Serverless.Auth.Email;
using Serverless.Auth.Passwords;
using Serverless.Auth.Storage;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Email;

/// <summary>
/// Issue 22, item 4: with <c>Auth__Email__RequireConfirmed</c>, signup stores a pending registration and the
/// account exists only once the link is used. Real Azurite (tables and queue), the queue sender, real maildev.
/// </summary>
public sealed class PendingRegistrationTests(RequiredConfirmationMailApi mail, AzuriteFixture azurite) : IClassFixture<RequiredConfirmationMailApi>
{
    private const string Password = "plum-orchard-lantern-4821";
    private const string OwnerPassword = "quartz-harbor-meadow-7390";
    private const string AttackerPassword = "attacker-chosen-passphrase-77";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private SessionClient Browser() => new(mail.Api.Client);

    /// <summary>
    /// The attack: sign up with someone's address and a password of one's own (202 either way), then log in
    /// with it. A registered address answered 401 and a free one 403 email_not_confirmed, and the free
    /// address was squatted on the way. Now both answer the same 401, and the free address has no account:
    /// the attacker's registration waits for a link only the mailbox sees.
    /// </summary>
    [Fact]
    public async Task SignupThenLoginAnswersAlikeForAFreeAndARegisteredAddressAndSquatsNothing()
    {
        var registered = Emails.Unique("registered");
        var free = Emails.Unique("free");
        await RegisterAsync(registered, Password);

        var signups = new[] { await Browser().SignupAsync(registered, AttackerPassword), await Browser().SignupAsync(free, AttackerPassword) };
        var logins = new[] { await Browser().LoginAsync(registered, AttackerPassword), await Browser().LoginAsync(free, AttackerPassword) };

        foreach (var signup in signups)
        {
            Assert.Equal(HttpStatusCode.Accepted, signup.StatusCode);
            Assert.Equal("{\"status\":\"accepted\"}", await signup.Content.ReadAsStringAsync(Ct));
            Assert.Empty(SessionClient.SetCookies(signup));
        }

        Assert.Equal(HeaderNames(signups[0]), HeaderNames(signups[1]));
        var problems = new List<string>();
        foreach (var login in logins)
        {
            problems.Add((await ResponseAssert.ProblemAsync(login, HttpStatusCode.Unauthorized)).GetRawText());
        }

        Assert.Equal(problems[0], problems[1]);
        Assert.Equal(HeaderNames(logins[0]), HeaderNames(logins[1]));
        Assert.Null(await mail.Api.Service<UserRepository>().FindByEmailAsync(free, Ct));

        // The attacker's link went to the mailbox. Its owner signs up too: both registrations wait side by side,
        // and the link used first (the owner's) creates the account; the other then answers as a used link.
        var attackerLink = MailLinks.Token(Assert.Single(await mail.Maildev.WaitForEmailsAsync(free, cancellationToken: Ct)), "confirm");
        Assert.Equal(HttpStatusCode.Accepted, (await Browser().SignupAsync(free, OwnerPassword)).StatusCode);
        var ownerLink = (await mail.Maildev.WaitForEmailsAsync(free, 2, cancellationToken: Ct)).Select(m => MailLinks.Token(m, "confirm")).Single(t => t != attackerLink);

        var created = await ResponseAssert.JsonAsync(await Browser().ConfirmEmailAsync(ownerLink), HttpStatusCode.OK);
        Assert.True(created.GetProperty("emailConfirmed").GetBoolean());
        var late = await ResponseAssert.ProblemAsync(await Browser().ConfirmEmailAsync(attackerLink), HttpStatusCode.BadRequest);
        Assert.Equal("invalid_token", late.GetProperty("code").GetString());
        await ResponseAssert.ProblemAsync(await Browser().LoginAsync(free, AttackerPassword), HttpStatusCode.Unauthorized);
        Assert.True((await ResponseAssert.JsonAsync(await Browser().LoginAsync(free, OwnerPassword), HttpStatusCode.OK)).GetProperty("emailConfirmed").GetBoolean());
    }

    [Fact]
    public async Task APendingRegistrationIsNoAccountUntilItsLinkCreatesItOnce()
    {
        var email = Emails.Unique("pending");
        Assert.Equal(HttpStatusCode.Accepted, (await Browser().SignupAsync(email, Password)).StatusCode);
        var message = Assert.Single(await mail.Maildev.WaitForEmailsAsync(email, cancellationToken: Ct));
        Assert.Equal("Confirm your email for Serverless Auth", message.Subject);
        var token = MailLinks.Token(message, "confirm");

        // Stored: no account; a pending row keyed by the hash of the link's token, with the Argon2 hash of the password.
        Assert.Null(await mail.Api.Service<UserRepository>().FindByEmailAsync(email, Ct));
        var pending = Assert.IsType<TableEntity>(await MailTokenRowAsync(mail.Api, token));
        Assert.Equal("Registration", pending.GetString("Kind"));
        Assert.Equal(email, pending.GetString("Email"));
        Assert.StartsWith("$argon2id$", pending.GetString("PasswordHash"), StringComparison.Ordinal);
        Assert.InRange(pending.GetDateTimeOffset("ExpiresAt")!.Value, DateTimeOffset.UtcNow.AddMinutes(1430), DateTimeOffset.UtcNow.AddMinutes(1441));

        // The owner who logs in before following the link gets the generic 401: there is no account yet.
        var early = await ResponseAssert.ProblemAsync(await Browser().LoginAsync(email, Password), HttpStatusCode.Unauthorized);
        Assert.False(early.TryGetProperty("code", out _));

        var browser = Browser();
        var confirm = await browser.ConfirmEmailAsync(token);
        var body = await ResponseAssert.JsonAsync(confirm, HttpStatusCode.OK);
        Assert.Equal(email, body.GetProperty("email").GetString());
        Assert.True(body.GetProperty("emailConfirmed").GetBoolean());
        // A link is no sign-in: the account exists now, and its owner signs in with the password they chose.
        Assert.Empty(SessionClient.SetCookies(confirm));

        var account = await mail.Api.Service<UserRepository>().FindByEmailAsync(email, Ct);
        Assert.NotNull(account);
        Assert.Equal(body.GetProperty("userId").GetString(), account.UserId);
        Assert.True(account.EmailConfirmed);
        Assert.Null(await MailTokenRowAsync(mail.Api, token));
        var login = await ResponseAssert.JsonAsync(await browser.LoginAsync(email, Password), HttpStatusCode.OK);
        Assert.Equal(account.UserId, login.GetProperty("userId").GetString());
        Assert.True(login.GetProperty("emailConfirmed").GetBoolean());

        var reuse = await ResponseAssert.ProblemAsync(await Browser().ConfirmEmailAsync(token), HttpStatusCode.BadRequest);
        Assert.Equal("invalid_token", reuse.GetProperty("code").GetString());
    }

    [Fact]
    public async Task ConcurrentUsesOfOnePendingRegistrationLinkCreateOneAccount()
    {
        var email = Emails.Unique("pending-race");
        Assert.Equal(HttpStatusCode.Accepted, (await Browser().SignupAsync(email, Password)).StatusCode);
        var token = MailLinks.Token(Assert.Single(await mail.Maildev.WaitForEmailsAsync(email, cancellationToken: Ct)), "confirm");

        var answers = await Task.WhenAll(Browser().ConfirmEmailAsync(token), Browser().ConfirmEmailAsync(token), Browser().ConfirmEmailAsync(token));

        var winner = Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
        Assert.Equal(2, answers.Count(a => a.StatusCode == HttpStatusCode.BadRequest));
        var userId = (await ResponseAssert.JsonAsync(winner, HttpStatusCode.OK)).GetProperty("userId").GetString();
        Assert.Equal(userId, (await mail.Api.Service<UserRepository>().FindByEmailAsync(email, Ct))!.UserId);
        Assert.Equal(HttpStatusCode.OK, (await Browser().LoginAsync(email, Password)).StatusCode);
    }

    [Fact]
    public async Task TheOwnerOfARegisteredAddressHearsOfTheAttemptAndKeepsTheirPassword()
    {
        var registered = Emails.Unique("registered-notice");
        await RegisterAsync(registered, Password);

        Assert.Equal(HttpStatusCode.Accepted, (await Browser().SignupAsync(registered, AttackerPassword)).StatusCode);

        var notice = Assert.Single(await mail.Maildev.WaitForEmailsAsync(registered, 2, cancellationToken: Ct), m => !m.Subject.StartsWith("Confirm", StringComparison.Ordinal));
        Assert.Equal("Someone tried to sign up to Serverless Auth with your email", notice.Subject);
        Assert.Contains("http://localhost:5173/auth/forgot", notice.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("token=", notice.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("token=", notice.Html, StringComparison.Ordinal);
        await ResponseAssert.ProblemAsync(await Browser().LoginAsync(registered, AttackerPassword), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await Browser().LoginAsync(registered, Password)).StatusCode);
    }

    /// <summary>
    /// Same work for a free and a registered address: hash, one table write, one queue message, and no
    /// look-up of the address at all (the sender decides, off the request path), so neither the answer nor
    /// its timing can differ. The message carries no password hash; the pending row keeps it.
    /// </summary>
    [Fact]
    public async Task SignupDoesTheSameStorageWorkForAFreeAndARegisteredAddressAndQueuesNoPasswordHash()
    {
        var counter = new StorageOperations();
        await using var api = await azurite.StartApiAsync(
            s =>
            {
                s["Auth:Email:RequireConfirmed"] = "true";
                // No revocation sync in the counted window.
                s["Auth:Revocation:SyncIntervalMilliseconds"] = "60000";
                s["Auth:Revocation:StaleAfterMilliseconds"] = "120000";
            },
            b =>
            {
                b.Services.PostConfigure<StorageOptions>(o => o.PipelineObserver = counter);
                // No sender in this host: the messages stay in the queue to be read raw.
                b.Services.Remove(b.Services.Single(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(MailQueueService)));
            });
        var registered = Emails.Unique("same-work-registered");
        var free = Emails.Unique("same-work-free");
        var hash = await api.Service<PasswordHasher>().HashAsync(Password, Ct);
        Assert.True(await api.Service<UserRepository>().TryCreateAsync(Guid.CreateVersion7().ToString(), registered, hash, DateTimeOffset.UtcNow, emailConfirmed: false, Ct));

        counter.Take();
        Assert.Equal(HttpStatusCode.Accepted, (await new SessionClient(api.Client).SignupAsync(registered, AttackerPassword)).StatusCode);
        var forRegistered = counter.Take();
        Assert.Equal(HttpStatusCode.Accepted, (await new SessionClient(api.Client).SignupAsync(free, AttackerPassword)).StatusCode);
        var forFree = counter.Take();

        Assert.Equal(forRegistered, forFree);
        Assert.Equal(2, forFree.Count);

        var raw = new QueueClient(azurite.ConnectionString, api.Settings["AUTH_EMAIL_QUEUE"]);
        var messages = (await raw.PeekMessagesAsync(10, Ct)).Value.Select(m => Encoding.UTF8.GetString(Convert.FromBase64String(m.Body.ToString()))).ToList();
        Assert.Equal(2, messages.Count);
        foreach (var json in messages)
        {
            using var document = JsonDocument.Parse(json);
            Assert.Equal(["kind", "email", "token", "requestedAt"], document.RootElement.EnumerateObject().Select(p => p.Name));
            Assert.DoesNotContain("argon2", json, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(AttackerPassword, json, StringComparison.Ordinal);
            var row = Assert.IsType<TableEntity>(await MailTokenRowAsync(api, document.RootElement.GetProperty("token").GetString()!));
            Assert.Equal(PasswordCheck.Match, await api.Service<PasswordHasher>().VerifyAsync(AttackerPassword, row.GetString("PasswordHash"), Ct));
        }
    }

    [Fact]
    public async Task APendingRegistrationExpiresWithItsLinkAndTheCleanUpRemovesIt()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var api = await MailApi.StartApiAsync(azurite, mail.Maildev, s => s["Auth:Email:RequireConfirmed"] = "true", b => b.Services.AddSingleton<TimeProvider>(clock));
        var email = Emails.Unique("pending-expiry");
        Assert.Equal(HttpStatusCode.Accepted, (await new SessionClient(api.Client).SignupAsync(email, Password)).StatusCode);
        var token = MailLinks.Token(Assert.Single(await mail.Maildev.WaitForEmailsAsync(email, cancellationToken: Ct)), "confirm");

        clock.Advance(TimeSpan.FromMinutes(1440));
        await ResponseAssert.ProblemAsync(await new SessionClient(api.Client).ConfirmEmailAsync(token), HttpStatusCode.BadRequest);
        Assert.Null(await api.Service<UserRepository>().FindByEmailAsync(email, Ct));

        clock.Advance(TimeSpan.FromSeconds(1));
        await api.Service<StorageCleanup>().RunAsync(Ct);
        Assert.Null(await MailTokenRowAsync(api, token));
    }

    /// <summary>
    /// Stored data outlives releases: an account the previous release created unconfirmed (its row without
    /// EmailConfirmed, its token row of kind Confirm, exactly as that release wrote them) keeps working as
    /// before: the right password answers 403 email_not_confirmed, and its link confirms it.
    /// </summary>
    [Fact]
    public async Task AnUnconfirmedAccountOfThePreviousReleaseStillAnswers403AndItsLinkStillConfirmsIt()
    {
        var email = Emails.Unique("previous-release");
        var userId = Guid.CreateVersion7().ToString();
        var token = MailRequest.NewToken();
        var now = DateTimeOffset.UtcNow;
        var tables = mail.Api.Service<AuthTables>();
        await tables.Users.AddEntityAsync(
            new TableEntity(EmailAddress.StorageKey(email), "account")
            {
                ["UserId"] = userId,
                ["Email"] = email,
                ["PasswordHash"] = await mail.Api.Service<PasswordHasher>().HashAsync(Password, Ct),
                ["CreatedAt"] = now,
                ["ConfirmMailHash"] = MailRequest.HashOf(token),
                ["ConfirmMailAt"] = now,
            },
            Ct);
        await tables.MailTokens.AddEntityAsync(
            new TableEntity(MailRequest.HashOf(token), "token") { ["Kind"] = "Confirm", ["UserId"] = userId, ["Email"] = email, ["ExpiresAt"] = now.AddDays(1) },
            Ct);

        var blocked = await ResponseAssert.ProblemAsync(await Browser().LoginAsync(email, Password), HttpStatusCode.Forbidden);
        Assert.Equal("email_not_confirmed", blocked.GetProperty("code").GetString());
        await ResponseAssert.ProblemAsync(await Browser().LoginAsync(email, AttackerPassword), HttpStatusCode.Unauthorized);

        var confirmed = await ResponseAssert.JsonAsync(await Browser().ConfirmEmailAsync(token), HttpStatusCode.OK);
        Assert.Equal(userId, confirmed.GetProperty("userId").GetString());
        var login = await ResponseAssert.JsonAsync(await Browser().LoginAsync(email, Password), HttpStatusCode.OK);
        Assert.Equal(userId, login.GetProperty("userId").GetString());
        Assert.True(login.GetProperty("emailConfirmed").GetBoolean());
    }

    /// <summary>The owner's way to an account: signup, then the link in the mail.</summary>
    private async Task RegisterAsync(string email, string password)
    {
        Assert.Equal(HttpStatusCode.Accepted, (await Browser().SignupAsync(email, password)).StatusCode);
        var token = MailLinks.Token(Assert.Single(await mail.Maildev.WaitForEmailsAsync(email, cancellationToken: Ct)), "confirm");
        Assert.Equal(HttpStatusCode.OK, (await Browser().ConfirmEmailAsync(token)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Browser().LoginAsync(email, password)).StatusCode);
    }

    private static async Task<TableEntity?> MailTokenRowAsync(TestApi api, string token)
    {
        var row = await api.Service<AuthTables>().MailTokens.GetEntityIfExistsAsync<TableEntity>(MailRequest.HashOf(token), "token", cancellationToken: Ct);
        return row.HasValue ? row.Value : null;
    }

    private static IEnumerable<string> HeaderNames(HttpResponseMessage response) =>
        response.Headers.Select(h => h.Key).Concat(response.Content.Headers.Select(h => h.Key)).Order(StringComparer.Ordinal);
}
