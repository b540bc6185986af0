using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using MimeKit;
using Serverless.Auth.Email;
using Serverless.Auth.Storage;
using Serverless.Auth.Tests.Email;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Admin;

/// <summary>
/// The admin API's test bed (issue 31), one per test class: a local admin issuer (the rogue OpenID provider: discovery
/// and a JWKS on loopback) as <c>Auth__Admin__Authority</c>, a second one as a social sign-in provider, and two API
/// instances on shared tables (scaled-out instances), the first with a <see cref="StorageHook"/>. Both send their mail to
/// one <see cref="MailBox"/> and log to one <see cref="LogRecorder"/>.
/// </summary>
public sealed class AdminHosts(AzuriteFixture azurite) : IAsyncLifetime
{
    public const string Audience = "api://serverless-auth-admin";
    public const string Subject = "admin-subject-0001";
    public const string Role = "Auth.Admin";
    public const string SocialProvider = "rogue";
    public const string Password = "plum-orchard-lantern-4821";
    public const string Base = "/api/auth/admin";

    private readonly SemaphoreSlim making = new(1, 1);
    private RogueOidcProvider? issuer;
    private Member? bystander;
    private RogueOidcProvider? social;
    private TestApi? first;
    private TestApi? second;

    public AzuriteFixture Azurite => azurite;

    /// <summary>The admin tokens' issuer (Auth__Admin__Authority).</summary>
    public RogueOidcProvider Issuer => issuer ?? throw new InvalidOperationException("Not started.");

    /// <summary>A social sign-in provider (<see cref="SocialProvider"/>) that trusts the addresses it gives.</summary>
    public RogueOidcProvider Social => social ?? throw new InvalidOperationException("Not started.");

    /// <summary>The instance with the storage hook.</summary>
    public TestApi First => first ?? throw new InvalidOperationException("Not started.");

    public TestApi Second => second ?? throw new InvalidOperationException("Not started.");

    public StorageHook Hook { get; } = new();

    public MailBox Mail { get; } = new();

    public LogRecorder Logs { get; } = new();

    public Dictionary<string, string?> Settings { get; private set; } = [];

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        issuer = await RogueOidcProvider.StartAsync("admin-portal", ct);
        social = await RogueOidcProvider.StartAsync("social-client", ct);
        Settings = azurite.Settings(s =>
        {
            s["Auth:Admin:Authority"] = Issuer.Issuer;
            s["Auth:Admin:Audience"] = Audience;
            s[$"Auth:Oidc:Providers:{SocialProvider}:Authority"] = Social.Issuer;
            s[$"Auth:Oidc:Providers:{SocialProvider}:ClientId"] = Social.ClientId;
            s[$"Auth:Oidc:Providers:{SocialProvider}:ClientSecret"] = "social-client-secret-0123456789abcdef";
            s[$"Auth:Oidc:Providers:{SocialProvider}:TrustEmail"] = "true";
            s["Auth:Email:MailCooldownSeconds"] = "0";
            s["AzureFunctionsJobHost:extensions:queues:maxPollingInterval"] = "00:00:00.2";
        });
        void Configure(Microsoft.AspNetCore.Builder.WebApplicationBuilder builder, bool hooked)
        {
            builder.Services.AddSingleton<IAuthMailSender>(Mail);
            builder.Logging.AddProvider(Logs);
            builder.Logging.AddFilter<LogRecorder>("Serverless.Auth", LogLevel.Information);
            if (hooked)
            {
                builder.Services.PostConfigure<StorageOptions>(o => o.PipelineObserver = Hook);
            }
        }

        first = await TestApi.StartAsync(Settings, b => Configure(b, hooked: true), cancellationToken: ct);
        second = await TestApi.StartAsync(Settings, b => Configure(b, hooked: false), cancellationToken: ct);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var api in new[] { first, second })
        {
            if (api is not null)
            {
                await api.DisposeAsync();
            }
        }

        foreach (var provider in new[] { issuer, social })
        {
            if (provider is not null)
            {
                await provider.DisposeAsync();
            }
        }
    }

    /// <summary>One account on <see cref="First"/> for the tests of a class that only read it or are refused (made once: a signup hashes a password).</summary>
    public async Task<Member> BystanderAsync()
    {
        await making.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            return bystander ??= await Members.SignUpAsync(First, "bystander");
        }
        finally
        {
            making.Release();
        }
    }

    /// <summary>
    /// The claims of a valid admin access token: iss = the admin issuer, aud = <see cref="Audience"/>, <paramref name="sub"/>,
    /// iat now, exp in 5 minutes, and <c>roles</c> = [<see cref="Role"/>] (null: no roles claim).
    /// </summary>
    public Dictionary<string, object> Claims(string sub = Subject, string[]? roles = null, string? oid = null)
    {
        var claims = Issuer.Claims(nonce: null, sub: sub, email: null, emailVerified: null, aud: Audience);
        claims["roles"] = roles ?? [Role];
        if (oid is not null)
        {
            claims["oid"] = oid;
        }

        return claims;
    }

    /// <summary>A signed admin token (RS256 with the issuer's key unless <paramref name="key"/> says otherwise).</summary>
    public string Token(IDictionary<string, object>? claims = null, SigningCredentials? key = null) => Issuer.IdToken(claims ?? Claims(), key);

    public static string UserPath(string userId, string? action = null) =>
        Base + "/users/" + Uri.EscapeDataString(userId) + (action is null ? "" : "/" + action);

    /// <summary>
    /// A request to an admin route: <paramref name="token"/> as the bearer (the default admin token when null; "" for
    /// none), and a Cookie or Origin header only when given.
    /// </summary>
    public static async Task<HttpResponseMessage> SendAsync(
        TestApi on, HttpMethod method, string path, string token, object? body = null, string? cookie = null, string? origin = null, string? userAgent = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType());
        }

        if (token.Length > 0)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }

        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        if (userAgent is not null)
        {
            request.Headers.UserAgent.ParseAdd(userAgent);
        }

        return await on.SendAsync(request);
    }

    public Task<HttpResponseMessage> FindAsync(TestApi on, string email, string? token = null) =>
        SendAsync(on, HttpMethod.Post, Base + "/users/find", token ?? Token(), new { email });

    public Task<HttpResponseMessage> GetAsync(TestApi on, string userId, string? token = null, string? userAgent = null) =>
        SendAsync(on, HttpMethod.Get, UserPath(userId), token ?? Token(), userAgent: userAgent);

    /// <summary>POST <c>admin/users/{id}/{action}</c>: disable, enable, signout, delete, resend-confirmation.</summary>
    public Task<HttpResponseMessage> ActAsync(TestApi on, string userId, string action, string? token = null) =>
        SendAsync(on, HttpMethod.Post, UserPath(userId, action), token ?? Token());

    public Task<HttpResponseMessage> EventsAsync(TestApi on, string query, string? token = null) =>
        SendAsync(on, HttpMethod.Get, Base + "/events" + query, token ?? Token());

    /// <summary>Disables (or enables) the account, asserting the 200 summary says so.</summary>
    public async Task<JsonElement> SetDisabledAsync(TestApi on, string userId, bool disabled)
    {
        var summary = await ResponseAssert.JsonAsync(await ActAsync(on, userId, disabled ? "disable" : "enable"), HttpStatusCode.OK);
        Assert.Equal(userId, summary.GetProperty("userId").GetString());
        Assert.Equal(disabled, summary.GetProperty("disabled").GetBoolean());
        Assert.Equal(disabled ? "disabled" : "active", summary.GetProperty("status").GetString());
        return summary;
    }

    public TableClient Table(string setting) => new(azurite.ConnectionString, Settings[setting]!);

    public TableClient Users => Table("Auth:Storage:UsersTable");

    public TableClient Sessions => Table("Auth:Storage:SessionsTable");

    public TableClient Throttle => Table("Auth:Storage:LoginThrottleTable");

    public TableClient Revocations => Table("Auth:Storage:RevocationsTable");

    /// <summary>The rows of one partition of a table (none when the table does not exist).</summary>
    public static async Task<List<TableEntity>> PartitionAsync(TableClient table, string partitionKey)
    {
        try
        {
            return await table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey}"), cancellationToken: TestContext.Current.CancellationToken)
                .ToListAsync(TestContext.Current.CancellationToken);
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            return [];
        }
    }

    /// <summary>The user's rows in every table of the per-month user event log (<c>&lt;UserEventsTable&gt;yyyyMM</c>).</summary>
    public async Task<List<TableEntity>> UserEventRowsAsync(string userId)
    {
        var prefix = Settings["Auth:Storage:UserEventsTable"]!;
        var service = new TableServiceClient(azurite.ConnectionString);
        var rows = new List<TableEntity>();
        await foreach (var table in service.QueryAsync(TableServiceClient.CreateQueryFilter($"TableName ge {prefix} and TableName lt {prefix + "{"}"), cancellationToken: TestContext.Current.CancellationToken))
        {
            rows.AddRange(await PartitionAsync(service.GetTableClient(table.Name), userId));
        }

        return rows;
    }
}

/// <summary>An app's mail sender that keeps every mail (none is dropped while waiting for another's).</summary>
public sealed class MailBox : IAuthMailSender
{
    private readonly ConcurrentQueue<ReceivedMail> sent = new();

    public Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        sent.Enqueue(CapturingMailSender.Received(message));
        return Task.CompletedTask;
    }

    /// <summary>The mails sent to <paramref name="to"/> so far.</summary>
    public List<ReceivedMail> To(string to) => [.. sent.Where(m => m.IsTo(to))];

    /// <summary>Waits for the <paramref name="count"/>th mail to <paramref name="to"/> (10 s at most) and returns it.</summary>
    public async Task<ReceivedMail> WaitAsync(string to, int count = 1)
    {
        for (var waited = 0; ; waited += 50)
        {
            if (To(to) is { } mails && mails.Count >= count)
            {
                return mails[count - 1];
            }

            Assert.True(waited < 10_000, $"{To(to).Count} of {count} mails reached {to} within 10 s");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}

/// <summary>Every log message of the apps it is added to, as text.</summary>
public sealed class LogRecorder : ILoggerProvider
{
    private readonly ConcurrentQueue<string> messages = new();

    public IReadOnlyCollection<string> Messages => messages;

    public int Count(string fragment) => messages.Count(m => m.Contains(fragment, StringComparison.Ordinal));

    /// <summary>Waits until more than <paramref name="before"/> messages contain <paramref name="fragment"/> (10 s at most).</summary>
    public async Task WaitForAsync(string fragment, int before)
    {
        for (var waited = 0; Count(fragment) <= before; waited += 50)
        {
            Assert.True(waited < 10_000, $"no new log message with '{fragment}' within 10 s");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    public ILogger CreateLogger(string categoryName) => new Recorder(messages);

    public void Dispose()
    {
    }

    private sealed class Recorder(ConcurrentQueue<string> messages) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            messages.Enqueue(formatter(state, exception));
    }
}
