using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Serverless.Auth.Accounts;
using Serverless.Auth.Email;
using Serverless.Auth.Events;
using Serverless.Auth.Tests.Email;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;
using MailLinks = Serverless.Auth.Tests.Email.MailLinks;

namespace Serverless.Auth.Tests.Events;

/// <summary>
/// Issue 27 (for issue 31's security log): every registered <see cref="IAuthEventSink"/> hears of each stored change,
/// with the account's id and the session, and (issue 31) of each refused password, whether or not the address has an
/// account; a sink that throws or hangs changes no answer.
/// </summary>
public sealed class AuthEventTests(AzuriteFixture azurite)
{
    private const string Password = "plum-orchard-lantern-4821";
    private const string NewPassword = "quartz-harbor-meadow-7390";
    private const string ResetPassword = "saffron-glacier-tundra-5163";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EverySinkHearsOfEachChangeWithTheStoredUserIdAndOfEachFailedLogin()
    {
        var (first, second) = (new RecordingSink(), new RecordingSink());
        var mail = new CapturingMailSender();
        await using var api = await azurite.StartApiAsync(s => s["Auth:Email:MailCooldownSeconds"] = "0", builder =>
        {
            builder.Services.AddSingleton<IAuthEventSink>(first);
            builder.Services.AddSingleton<IAuthEventSink>(second);
            builder.Services.AddSingleton<IAuthMailSender>(mail);
        });
        var started = DateTimeOffset.UtcNow;
        var email = Emails.Unique("events");
        var browser = new SessionClient(api.Client);

        var userId = await browser.SignUpForUserIdAsync(email, Password);
        var stored = await api.Service<UserRepository>().FindByEmailAsync(email, Ct);
        Assert.Equal(userId, stored!.UserId);
        var signupSession = await CurrentSessionAsync(browser);
        Assert.Equal([new(AuthEventKind.SignedUp, userId, signupSession)], first.Take());

        // A failed login (the account's id, no session), and a login for an address nobody has (no id): each reported,
        // while the answer goes out (not awaited by the request), so the sink is waited for.
        await ResponseAssert.ProblemAsync(await new SessionClient(api.Client).LoginAsync(email, "wrong-" + Password), HttpStatusCode.Unauthorized);
        await ResponseAssert.ProblemAsync(await new SessionClient(api.Client).LoginAsync(Emails.Unique("nobody"), Password), HttpStatusCode.Unauthorized);
        var failed = await first.TakeAsync(2);
        Assert.Equal(
            [new(AuthEventKind.LoginFailed, "", null), new(AuthEventKind.LoginFailed, userId, null)],
            failed.OrderBy(e => e.UserId, StringComparer.Ordinal));
        Assert.Equal(
            [("", "no_account", "failure"), (userId, "password", "failure")],
            first.TakeAll().Where(e => e.Kind == AuthEventKind.LoginFailed).Select(e => (e.UserId, e.Detail, e.Outcome)).OrderBy(e => e.UserId, StringComparer.Ordinal));

        var laptop = new SessionClient(api.Client);
        Assert.Equal(HttpStatusCode.OK, (await laptop.LoginAsync(email, Password)).StatusCode);
        var laptopSession = await CurrentSessionAsync(laptop);
        Assert.Equal(HttpStatusCode.NoContent, (await laptop.LogoutAsync()).StatusCode);
        Assert.Equal([new(AuthEventKind.SignedIn, userId, laptopSession), new(AuthEventKind.SignedOut, userId, laptopSession)], first.Take());

        var confirmToken = MailLinks.Token(await mail.NextToAsync(email), "confirm");
        Assert.Equal(HttpStatusCode.OK, (await new SessionClient(api.Client).ConfirmEmailAsync(confirmToken)).StatusCode);
        Assert.Equal([new(AuthEventKind.EmailConfirmed, userId, null)], first.Take());

        Assert.Equal(HttpStatusCode.OK, (await browser.ChangePasswordAsync(Password, NewPassword)).StatusCode);
        Assert.Equal([new(AuthEventKind.PasswordChanged, userId, signupSession)], first.Take());
        Assert.Equal("Your Serverless Auth password was changed", (await mail.NextToAsync(email)).Subject);

        Assert.Equal(HttpStatusCode.Accepted, (await browser.ForgotPasswordAsync(email)).StatusCode);
        var resetToken = MailLinks.Token(await mail.NextToAsync(email), "reset");
        // Raised by the mail's delivery, once it is sent: no request waits for it.
        Assert.Equal([new(AuthEventKind.PasswordResetRequested, userId, null)], await first.TakeAsync(1));
        Assert.Equal(HttpStatusCode.NoContent, (await new SessionClient(api.Client).ResetPasswordAsync(resetToken, ResetPassword)).StatusCode);
        Assert.Equal([new(AuthEventKind.PasswordReset, userId, null)], first.Take());

        var phone = new SessionClient(api.Client);
        Assert.Equal(HttpStatusCode.OK, (await phone.LoginAsync(email, ResetPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.LoginAsync(email, ResetPassword)).StatusCode);
        var (phoneSession, browserSession) = (await CurrentSessionAsync(phone), await CurrentSessionAsync(browser));
        Assert.Equal(HttpStatusCode.NoContent, (await browser.RevokeSessionAsync(phoneSession)).StatusCode);
        Assert.Equal(
            [new(AuthEventKind.SignedIn, userId, phoneSession), new(AuthEventKind.SignedIn, userId, browserSession), new(AuthEventKind.SessionRevoked, userId, phoneSession)],
            first.Take());

        var newEmail = Emails.Unique("events-moved");
        Assert.Equal(HttpStatusCode.Accepted, (await browser.ChangeEmailAsync(newEmail, ResetPassword)).StatusCode);
        Assert.Equal([new(AuthEventKind.EmailChangeRequested, userId, browserSession)], first.Take());
        var changeToken = MailLinks.Token(await mail.NextToAsync(newEmail), "email-change");
        Assert.Equal(HttpStatusCode.OK, (await new SessionClient(api.Client).ConfirmEmailChangeAsync(changeToken)).StatusCode);
        Assert.Equal([new(AuthEventKind.EmailChanged, userId, null)], first.Take());

        Assert.Equal(HttpStatusCode.NoContent, (await browser.LogoutAllAsync()).StatusCode);
        Assert.Equal([new(AuthEventKind.SignedOutEverywhere, userId, browserSession)], first.Take());

        Assert.Equal(HttpStatusCode.OK, (await browser.LoginAsync(newEmail, ResetPassword)).StatusCode);
        var lastSession = await CurrentSessionAsync(browser);
        Assert.Equal(HttpStatusCode.NoContent, (await browser.DeleteAccountAsync(ResetPassword)).StatusCode);
        Assert.Equal([new(AuthEventKind.SignedIn, userId, lastSession), new(AuthEventKind.AccountDeleted, userId, lastSession)], first.Take());

        // The second sink heard the same events; each came from this client (but the mail's, from the queue), stamped while the test ran.
        var heard = first.TakeAll();
        Assert.Equal(17, heard.Count);
        Assert.Equal(heard.OrderBy(e => e.OccurredAt), second.TakeAll().OrderBy(e => e.OccurredAt));
        Assert.All(heard, e => Assert.Equal(e.Kind == AuthEventKind.PasswordResetRequested ? null : "127.0.0.1", e.ClientIp));
        Assert.All(heard, e => Assert.InRange(e.OccurredAt, started, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task WithRequiredConfirmationTheLinkThatCreatesTheAccountIsTheSignup()
    {
        var sink = new RecordingSink();
        var mail = new CapturingMailSender();
        await using var api = await azurite.StartApiAsync(s => s["Auth:Email:RequireConfirmed"] = "true", builder =>
        {
            builder.Services.AddSingleton<IAuthEventSink>(sink);
            builder.Services.AddSingleton<IAuthMailSender>(mail);
        });
        var email = Emails.Unique("pending-events");

        Assert.Equal(HttpStatusCode.Accepted, (await new SessionClient(api.Client).SignupAsync(email, Password)).StatusCode);
        Assert.Empty(sink.Take());
        var token = MailLinks.Token(await mail.NextToAsync(email), "confirm");
        var confirmed = await ResponseAssert.JsonAsync(await new SessionClient(api.Client).ConfirmEmailAsync(token), HttpStatusCode.OK);

        Assert.Equal([new(AuthEventKind.SignedUp, confirmed.GetProperty("userId").GetString()!, null)], sink.Take());
    }

    [Fact]
    public async Task ASinkThatThrowsOrHangsChangesNoAnswerAndTheOthersStillHear()
    {
        var recorder = new RecordingSink();
        var hanging = new HangingSink();
        await using var api = await azurite.StartApiAsync(s => s["Auth:Events:SinkTimeoutMilliseconds"] = "300", builder =>
        {
            builder.Logging.AddFakeLogging();
            builder.Services.AddSingleton<IAuthEventSink, ThrowingSink>();
            builder.Services.AddSingleton<IAuthEventSink>(hanging);
            builder.Services.AddSingleton<IAuthEventSink>(recorder);
        });
        var email = Emails.Unique("bad-sinks");
        var browser = new SessionClient(api.Client);

        var signup = await ResponseAssert.JsonAsync(await browser.SignupAsync(email, Password), HttpStatusCode.Created);
        var userId = signup.GetProperty("userId").GetString()!;
        Assert.Equal(email, signup.GetProperty("email").GetString());
        var login = await ResponseAssert.JsonAsync(await browser.LoginAsync(email, Password), HttpStatusCode.OK);
        Assert.Equal(userId, login.GetProperty("userId").GetString());
        Assert.Equal(HttpStatusCode.OK, (await browser.ChangePasswordAsync(Password, NewPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.VerifyAsync()).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await browser.DeleteAccountAsync(NewPassword)).StatusCode);

        Assert.Equal(
            [AuthEventKind.SignedUp, AuthEventKind.SignedIn, AuthEventKind.PasswordChanged, AuthEventKind.AccountDeleted],
            recorder.Take().Select(e => e.Kind));
        // The hanging sink's token was canceled when its time was up (it may still be running its finally).
        await hanging.WaitForCancellationsAsync(4);
        var records = api.App.Services.GetFakeLogCollector().GetSnapshot();
        Assert.Equal(4, records.Count(r => r.Level == LogLevel.Error && r.Message.Contains($"ThrowingSink failed on", StringComparison.Ordinal) && r.Message.Contains(userId, StringComparison.Ordinal)));
        Assert.Equal(4, records.Count(r => r.Level == LogLevel.Warning && r.Message.Contains("HangingSink did not handle", StringComparison.Ordinal)));
        Assert.DoesNotContain(records, r => r.Message.Contains(email, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task TheReadmeQueueSinkPutsEachEventOnTheAppsOwnQueue()
    {
        var queue = new QueueClient(azurite.ConnectionString, "events-" + Guid.NewGuid().ToString("N")[..12]);
        await queue.CreateAsync(cancellationToken: Ct);
        await using var api = await azurite.StartApiAsync(configure: builder =>
        {
            builder.Services.AddSingleton<IAuthEventSink>(new QueueEventSink(queue));
        });
        var browser = new SessionClient(api.Client);
        var userId = await browser.SignUpForUserIdAsync(Emails.Unique("queued-events"), Password);

        var messages = (await queue.ReceiveMessagesAsync(maxMessages: 10, cancellationToken: Ct)).Value;

        var queued = JsonSerializer.Deserialize<AuthEvent>(Assert.Single(messages).MessageText)!;
        Assert.Equal((AuthEventKind.SignedUp, userId, await CurrentSessionAsync(browser)), (queued.Kind, queued.UserId, queued.SessionId));
        await queue.DeleteAsync(Ct);
    }

    [Theory]
    [InlineData("5")]
    [InlineData("30001")]
    public async Task ASinkTimeoutOutOfRangeStopsStartUpNamingIt(string milliseconds)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => azurite.StartApiAsync(s => s["Auth:Events:SinkTimeoutMilliseconds"] = milliseconds));

        Assert.Contains("Auth__Events__SinkTimeoutMilliseconds must be between 10 and 30000", error.Message, StringComparison.Ordinal);
    }

    private static async Task<string> CurrentSessionAsync(SessionClient browser)
    {
        var sessions = await ResponseAssert.JsonAsync(await browser.SessionsAsync(), HttpStatusCode.OK);
        return sessions.EnumerateArray().Single(s => s.GetProperty("current").GetBoolean()).GetProperty("sessionId").GetString()!;
    }

    /// <summary>An event as the tests compare it: kind, user and session (time and address are checked apart).</summary>
    private sealed record Heard(AuthEventKind Kind, string UserId, string? SessionId);

    private sealed class RecordingSink : IAuthEventSink
    {
        private readonly ConcurrentQueue<AuthEvent> pending = new();
        private readonly ConcurrentQueue<AuthEvent> all = new();

        public Task HandleAsync(AuthEvent authEvent, CancellationToken cancellationToken)
        {
            pending.Enqueue(authEvent);
            all.Enqueue(authEvent);
            return Task.CompletedTask;
        }

        /// <summary>What was heard since the last call: the answer has come, so every sink has run.</summary>
        public List<Heard> Take()
        {
            var taken = new List<Heard>();
            while (pending.TryDequeue(out var e))
            {
                taken.Add(new Heard(e.Kind, e.UserId, e.SessionId));
            }

            return taken;
        }

        /// <summary>
        /// What was heard since the last call once at least <paramref name="count"/> events have come: for the events no
        /// request waits for (a refused credential, a mail's delivery).
        /// </summary>
        public async Task<List<Heard>> TakeAsync(int count)
        {
            for (var waited = 0; pending.Count < count; waited += 20)
            {
                Assert.True(waited < 5000, $"{pending.Count} of {count} events were heard.");
                await Task.Delay(20, Ct);
            }

            return Take();
        }

        /// <summary>Every event so far, whole.</summary>
        public List<AuthEvent> TakeAll() => [.. all];
    }

    private sealed class ThrowingSink : IAuthEventSink
    {
        public Task HandleAsync(AuthEvent authEvent, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("The security log is down.");
    }

    /// <summary>Never finishes on its own; counts the cancellations it sees.</summary>
    private sealed class HangingSink : IAuthEventSink
    {
        private int canceled;

        public async Task WaitForCancellationsAsync(int count)
        {
            for (var waited = 0; Volatile.Read(ref canceled) < count; waited += 50)
            {
                Assert.True(waited < 5000, $"{Volatile.Read(ref canceled)} of {count} hanging calls were canceled.");
                await Task.Delay(50, Ct);
            }
        }

        public async Task HandleAsync(AuthEvent authEvent, CancellationToken cancellationToken)
        {
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            finally
            {
                Interlocked.Increment(ref canceled);
            }
        }
    }
}

/// <summary>The example event sink of docs/extension-points.md: each event, as JSON, on a Storage queue of the app's own.</summary>
public sealed class QueueEventSink(QueueClient queue) : IAuthEventSink
{
    public async Task HandleAsync(AuthEvent authEvent, CancellationToken cancellationToken) =>
        await queue.SendMessageAsync(JsonSerializer.Serialize(authEvent), cancellationToken);
}
