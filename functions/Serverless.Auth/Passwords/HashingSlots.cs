using Microsoft.Extensions.Options;

namespace Serverless.Auth.Passwords;

/// <summary>
/// Bounds how many Argon2 computations run at once on this instance. Each one holds
/// <see cref="Argon2Options.MemoryKiB"/> of memory, so unbounded parallel logins are a memory DoS.
/// </summary>
internal sealed class HashingSlots(IOptions<Argon2Options> options) : IDisposable
{
    private readonly SemaphoreSlim slots = new(options.Value.MaxConcurrentHashes, options.Value.MaxConcurrentHashes);
    private readonly TimeSpan queueTimeout = TimeSpan.FromMilliseconds(options.Value.QueueTimeoutMilliseconds);
    private int waiting;

    /// <summary>Whether a computation started now would run at once rather than queue.</summary>
    public bool HasFreeSlot => slots.CurrentCount > 0;

    public async Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref waiting);
        bool admitted;
        try
        {
            admitted = await slots.WaitAsync(queueTimeout, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref waiting);
        }

        if (!admitted)
        {
            throw new ServiceBusyException("Too many password checks are in progress; try again shortly.", TimeSpan.FromSeconds(2));
        }

        try
        {
            return work();
        }
        finally
        {
            CollectFinishedRun();
            slots.Release();
        }
    }

    /// <summary>
    /// The library allocates each run's whole memory (19 MiB by default) afresh on the large-object heap, and
    /// that buffer is garbage once the run ends. Left to the GC's own schedule, a background collection ran at
    /// every other login and the login in between got fresh pages (about 4,800 page faults: the slow half of
    /// issue 24), while a burst's dead buffers piled up in RSS. Collected here, the pages are reused. With runs
    /// queued, the collection blocks (a few ms) so the next run reuses this one's pages; otherwise it runs in
    /// the background and the request does not wait for it. Profile: tests/Serverless.Benchmarks/results.md.
    /// </summary>
    private void CollectFinishedRun() =>
        GC.Collect(2, GCCollectionMode.Forced, blocking: Volatile.Read(ref waiting) > 0, compacting: false);

    public void Dispose() => slots.Dispose();
}
