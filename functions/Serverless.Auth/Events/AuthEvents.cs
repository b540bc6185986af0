using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Events;

/// <summary>
/// Raises an <see cref="AuthEvent"/>: a structured log record (event id 5000 + the kind's number, name = its type),
/// the stored event log (<see cref="EventLog"/>) and every registered <see cref="IAuthEventSink"/>, all at once, once
/// the change it reports is stored. Neither the log nor a sink changes the answer: a failure is logged (and the log's
/// counted), and a sink gets a bounded time.
/// </summary>
internal sealed partial class AuthEvents(
    IOptions<AuthEventOptions> options, EventLog log, ClientRateLimiter clients, IServiceScopeFactory scopes, TimeProvider time, ILogger<AuthEvents> logger)
    : IAsyncDisposable
{
    public const int MaxUserAgentLength = 256;
    public const int EventIdBase = 5000;

    private static readonly Meter Meter = new("Serverless.Auth");
    private static readonly Counter<long> WriteFailuresCounter = Meter.CreateCounter<long>("auth.events.write_failures", description: "Security events the event log failed to store");

    private readonly TimeSpan sinkTimeout = options.Value.SinkTimeout;
    private readonly bool storeInTables = options.Value.StoreInTables;
    private readonly ConcurrentDictionary<Task, byte> inBackground = new();
    private long writeFailures;

    /// <summary>Events the stored log failed to write since start-up (also the <c>auth.events.write_failures</c> counter).</summary>
    internal long WriteFailures => Interlocked.Read(ref writeFailures);

    /// <summary>
    /// Raises the event. A refused credential (<see cref="AuthEventTypes.IsFailure"/>) is recorded without the request
    /// waiting: whether the address has an account changes what is written (the user's log too), and that must not
    /// change how long a failed login takes.
    /// </summary>
    /// <param name="detail">A short, non-secret qualifier (<see cref="AuthEvent.Detail"/>).</param>
    /// <param name="actor">The admin's subject for an admin action.</param>
    public Task RaiseAsync(HttpContext context, AuthEventKind kind, string? userId, string? sessionId, string? detail = null, string? actor = null)
    {
        var userAgent = context.Request.Headers.UserAgent.ToString();
        var authEvent = new AuthEvent(kind, userId ?? "", sessionId, time.GetUtcNow(), clients.ClientIp(context)?.ToString())
        {
            UserAgent = userAgent.Length == 0 ? null : userAgent.Length > MaxUserAgentLength ? userAgent[..MaxUserAgentLength] : userAgent,
            Detail = detail,
            Actor = actor,
        };
        return DispatchAsync(authEvent, context.RequestServices);
    }

    /// <summary>
    /// Raises an event of work no request is waiting for (mail delivery from the queue): no client address or User-Agent,
    /// and the sinks come from a scope of their own.
    /// </summary>
    public async Task RaiseAsync(AuthEventKind kind, string userId, string? detail = null)
    {
        await using var scope = scopes.CreateAsyncScope();
        await DispatchAsync(new AuthEvent(kind, userId, null, time.GetUtcNow(), null) { Detail = detail }, scope.ServiceProvider);
    }

    private Task DispatchAsync(AuthEvent authEvent, IServiceProvider services)
    {
        LogEvent(authEvent);
        var sinks = services.GetServices<IAuthEventSink>().ToArray();
        var work = new List<Task>(sinks.Length + 1);
        if (storeInTables)
        {
            work.Add(StoreAsync(authEvent));
        }

        work.AddRange(sinks.Select(sink => NotifyAsync(sink, authEvent)));
        var all = work.Count switch { 0 => Task.CompletedTask, 1 => work[0], _ => Task.WhenAll(work) };
        if (!AuthEventTypes.IsFailure(authEvent.Kind) || all.IsCompleted)
        {
            return all;
        }

        inBackground.TryAdd(all, 0);
        _ = all.ContinueWith(done => inBackground.TryRemove(done, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return Task.CompletedTask;
    }

    /// <summary>Waits (briefly) for the events still being written when the host stops.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await Task.WhenAll(inBackground.Keys).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
        }
    }

    private async Task StoreAsync(AuthEvent authEvent)
    {
        try
        {
            // Not the request's token: a client that hangs up after the change does not cancel its event.
            await log.WriteAsync(authEvent, CancellationToken.None);
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref writeFailures);
            WriteFailuresCounter.Add(1);
            LogWriteFailed(logger, authEvent.Type, authEvent.UserId, Storage.StorageFailure.Describe(e));
        }
    }

    // One log message per kind, each with its stable event id (5000 + the kind's number, named by its type), so a
    // query in Application Insights can select on it.
    private static readonly Dictionary<AuthEventKind, Action<ILogger, string, string, string?, string?, string?, string?, Exception?>> EventMessages =
        Enum.GetValues<AuthEventKind>().ToDictionary(kind => kind, kind => LoggerMessage.Define<string, string, string?, string?, string?, string?>(
            kind is AuthEventKind.RefreshReuseDetected ? LogLevel.Warning : LogLevel.Information,
            new EventId(EventIdBase + (int)kind, AuthEventTypes.NameOf(kind)),
            "Auth event {EventType} for user {UserId}, session {SessionId}, from {IpPrefix}, detail {Detail}, actor {Actor}"));

    private void LogEvent(AuthEvent e) =>
        EventMessages[e.Kind](logger, e.Type, e.UserId, e.SessionId, EventLog.Truncate(e.ClientIp is { } ip && System.Net.IPAddress.TryParse(ip, out var parsed) ? parsed : null), e.Detail, e.Actor, null);

    private async Task NotifyAsync(IAuthEventSink sink, AuthEvent authEvent)
    {
        using var timeout = new CancellationTokenSource(sinkTimeout, time);
        // On the thread pool: a sink that blocks before its first await still cannot hold the request past its time.
        var handling = Task.Run(() => sink.HandleAsync(authEvent, timeout.Token), CancellationToken.None);
        try
        {
            await handling.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            // Whatever it does later is not awaited: observe its failure, so it is no unobserved task exception.
            _ = handling.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            LogSinkTimedOut(logger, sink.GetType().Name, authEvent.Kind, authEvent.UserId, (int)sinkTimeout.TotalMilliseconds);
        }
        catch (Exception e)
        {
            // A sink is the app's code: whatever it throws is logged, and never reaches the client.
            LogSinkFailed(logger, sink.GetType().Name, authEvent.Kind, authEvent.UserId, e.GetType().Name, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Auth event {EventType} for user {UserId} was not stored ({ErrorType}); the request went on")]
    private static partial void LogWriteFailed(ILogger logger, string eventType, string userId, string errorType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Auth event sink {Sink} did not handle {Kind} for user {UserId} within {TimeoutMilliseconds} ms (Auth__Events__SinkTimeoutMilliseconds); the request went on")]
    private static partial void LogSinkTimedOut(ILogger logger, string sink, AuthEventKind kind, string userId, int timeoutMilliseconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Auth event sink {Sink} failed on {Kind} for user {UserId} ({ExceptionType}); the request went on")]
    private static partial void LogSinkFailed(ILogger logger, string sink, AuthEventKind kind, string userId, string exceptionType, Exception error);
}
