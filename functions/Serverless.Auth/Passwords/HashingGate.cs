using Microsoft.Extensions.Options;

namespace Serverless.Auth.Passwords;

/// <summary>
/// Bounds how many Argon2 computations run at once on this instance. Each one holds
/// <see cref="Argon2Options.MemoryKiB"/> of memory, so unbounded parallel logins are a memory DoS.
/// </summary>
internal sealed class HashingGate(IOptions<Argon2Options> options) : IDisposable
{
    private readonly SemaphoreSlim slots = new(options.Value.MaxConcurrentHashes, options.Value.MaxConcurrentHashes);
    private readonly TimeSpan queueTimeout = TimeSpan.FromMilliseconds(options.Value.QueueTimeoutMilliseconds);

    /// <summary>Whether a computation started now would run at once rather than queue.</summary>
    public bool HasFreeSlot => slots.CurrentCount > 0;

    public async Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        if (!await slots.WaitAsync(queueTimeout, cancellationToken))
        {
            throw new ServiceBusyException("Too many password checks are in progress; try again shortly.", TimeSpan.FromSeconds(2));
        }

        try
        {
            return work();
        }
        finally
        {
            slots.Release();
        }
    }

    public void Dispose() => slots.Dispose();
}
