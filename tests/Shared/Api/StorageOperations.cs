using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Serverless.Testing;

/// <summary>
/// Counts the storage round trips an app sends through the Azure SDK table clients: a pipeline policy the
/// tests and benchmarks hand to the app (<c>StorageOptions.PipelineObserver</c>). Each round trip is
/// recorded as "METHOD table" (the table name as sent, query strings and keys left out).
/// </summary>
public sealed class StorageOperations : HttpPipelineSynchronousPolicy
{
    private readonly ConcurrentQueue<string> seen = new();
    private long total;

    /// <summary>Round trips since the app started.</summary>
    public long Total => Interlocked.Read(ref total);

    public override void OnSendingRequest(HttpMessage message)
    {
        Interlocked.Increment(ref total);
        seen.Enqueue(Describe(message.Request));
    }

    /// <summary>The round trips recorded since the last call, in order.</summary>
    public List<string> Take()
    {
        var taken = new List<string>();
        while (seen.TryDequeue(out var operation))
        {
            taken.Add(operation);
        }

        return taken;
    }

    // Path: /<account>/<table>(PartitionKey='…',RowKey='…'), /<account>/<table>() or /<account>/Tables.
    private static string Describe(Request request)
    {
        var last = request.Uri.Path.Split('/', StringSplitOptions.RemoveEmptyEntries)[^1];
        var table = last.Split('(')[0];
        return $"{request.Method} {table}";
    }
}
