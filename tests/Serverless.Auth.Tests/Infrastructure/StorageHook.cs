using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Serverless.Auth.Tests.Infrastructure;

/// <summary>
/// One chosen storage step of the app, hooked (a pipeline policy its table clients run on every try): once
/// armed, the next request that matches runs <c>before</c> ahead of being sent and <c>after</c> once storage has
/// answered. A hook that throws <see cref="Stall"/> is a storage stall at that step: before, nothing is
/// written; after, storage applied the request but its answer was lost (a timeout mid-request). A hook
/// that waits makes an interleaving of two instances exact.
/// </summary>
public sealed class StorageHook : HttpPipelinePolicy
{
    private (Func<string, string, bool> Match, Func<Task>? Before, Func<Task>? After)? armed;

    /// <summary>Whether the armed step has been reached.</summary>
    public bool Fired { get; private set; }

    /// <param name="match">Given the method and the table (the name as sent, without keys), whether this is the step.</param>
    public void Arm(Func<string, string, bool> match, Func<Task>? before = null, Func<Task>? after = null)
    {
        Fired = false;
        armed = (match, before, after);
    }

    /// <summary>What a storage outage looks like after its retries (Azure.Core retries transport failures only, never this).</summary>
    public static Task Stall() => throw new RequestFailedException(503, "Injected storage stall.");

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var hook = Take(message);
        if (hook?.Before is { } before)
        {
            await before();
        }

        await ProcessNextAsync(message, pipeline);
        if (hook?.After is { } after)
        {
            await after();
        }
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        throw new NotSupportedException("The app's storage calls are asynchronous.");

    private (Func<string, string, bool> Match, Func<Task>? Before, Func<Task>? After)? Take(HttpMessage message)
    {
        var table = message.Request.Uri.Path.Split('/', StringSplitOptions.RemoveEmptyEntries)[^1].Split('(')[0];
        lock (this)
        {
            if (armed is not { } hook || !hook.Match(message.Request.Method.ToString(), table))
            {
                return null;
            }

            armed = null;
            Fired = true;
            return hook;
        }
    }
}
