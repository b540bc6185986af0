using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Events;

/// <summary>
/// Raises an <see cref="AuthEvent"/> to every registered <see cref="IAuthEventSink"/>: the endpoints call it once their
/// change is stored. A sink never changes the answer: its exception is logged, and it gets a bounded time.
/// </summary>
internal sealed partial class AuthEvents(IOptions<AuthEventOptions> options, ClientRateLimiter clients, TimeProvider time, ILogger<AuthEvents> logger)
{
    private readonly TimeSpan sinkTimeout = options.Value.SinkTimeout;

    public Task RaiseAsync(HttpContext context, AuthEventKind kind, string userId, string? sessionId)
    {
        var sinks = context.RequestServices.GetServices<IAuthEventSink>().ToArray();
        if (sinks.Length == 0)
        {
            return Task.CompletedTask;
        }

        var authEvent = new AuthEvent(kind, userId, sessionId, time.GetUtcNow(), clients.ClientIp(context)?.ToString());
        return sinks.Length == 1 ? NotifyAsync(sinks[0], authEvent) : Task.WhenAll(sinks.Select(sink => NotifyAsync(sink, authEvent)));
    }

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Auth event sink {Sink} did not handle {Kind} for user {UserId} within {TimeoutMilliseconds} ms (Auth__Events__SinkTimeoutMilliseconds); the request went on")]
    private static partial void LogSinkTimedOut(ILogger logger, string sink, AuthEventKind kind, string userId, int timeoutMilliseconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Auth event sink {Sink} failed on {Kind} for user {UserId} ({ExceptionType}); the request went on")]
    private static partial void LogSinkFailed(ILogger logger, string sink, AuthEventKind kind, string userId, string exceptionType, Exception error);
}
