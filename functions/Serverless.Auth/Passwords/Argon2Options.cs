using Microsoft.Extensions.Options;

namespace Serverless.Auth.Passwords;

/// <summary>Settings under <c>Auth__Argon2__*</c>. Defaults: OWASP's Argon2id m=19 MiB, t=2, p=1.</summary>
public sealed class Argon2Options
{
    /// <summary>The configuration section these settings bind to (<c>Auth__Argon2__*</c> environment variables).</summary>
    public const string Section = "Auth:Argon2";

    /// <summary>
    /// Argon2id memory per hash in KiB (OWASP's minimum cost: 19456 with 2 iterations; lower costs are refused). Raising
    /// the cost upgrades stored hashes at each user's next login.
    /// </summary>
    public int MemoryKiB { get; set; } = 19456;
    /// <summary>Argon2id passes over the memory; raising it upgrades stored hashes at each user's next login.</summary>
    public int Iterations { get; set; } = 2;
    /// <summary>Argon2id lanes (1-16); raising it upgrades stored hashes at each user's next login.</summary>
    public int Parallelism { get; set; } = 1;

    /// <summary>Hashes computed at once per instance (at least 1); each holds <see cref="MemoryKiB"/> of memory.</summary>
    [Setting(Default = "processor count")]
    public int MaxConcurrentHashes { get; set; } = Environment.ProcessorCount;

    /// <summary>How long a request waits for a hashing slot, in milliseconds (0-60000), before it gets 503 + <c>Retry-After</c>.</summary>
    public int QueueTimeoutMilliseconds { get; set; } = 5000;

    /// <summary>
    /// The ceiling of the memory cost: stored hashes asking for more are refused, never computed (memory / CPU DoS). The
    /// cost settings may not exceed their ceilings.
    /// </summary>
    public int MaxMemoryKiB { get; set; } = 262144;
    /// <summary>The ceiling of the iterations: stored hashes asking for more are refused, never computed.</summary>
    public int MaxIterations { get; set; } = 16;
    /// <summary>The ceiling of the lanes: stored hashes asking for more are refused, never computed.</summary>
    public int MaxParallelism { get; set; } = 8;

    internal Argon2Parameters Parameters => new(MemoryKiB, Iterations, Parallelism);

    internal bool WithinCeiling(Argon2Parameters parameters) =>
        parameters.MemoryKiB <= MaxMemoryKiB && parameters.Iterations <= MaxIterations && parameters.Parallelism <= MaxParallelism;
}

internal sealed class Argon2OptionsValidator : IValidateOptions<Argon2Options>
{
    public ValidateOptionsResult Validate(string? name, Argon2Options options)
    {
        var failures = new List<string>();
        if (options.Parallelism is < 1 or > 16)
        {
            failures.Add("Auth__Argon2__Parallelism must be between 1 and 16.");
        }

        // OWASP's Argon2id floor: m >= 7 MiB and m x t at least that of m=7168,t=5 (19456,2 and 47104,1 pass).
        if (options.MemoryKiB < 7168 || (long)options.MemoryKiB * options.Iterations < 7168L * 5)
        {
            failures.Add("Auth__Argon2__MemoryKiB and Auth__Argon2__Iterations are below OWASP's minimum Argon2id cost (e.g. 19456 KiB with 2 iterations).");
        }

        if (options.MaxConcurrentHashes < 1)
        {
            failures.Add("Auth__Argon2__MaxConcurrentHashes must be at least 1.");
        }

        if (options.QueueTimeoutMilliseconds is < 0 or > 60000)
        {
            failures.Add("Auth__Argon2__QueueTimeoutMilliseconds must be between 0 and 60000.");
        }

        if (!options.WithinCeiling(options.Parameters))
        {
            failures.Add("Auth__Argon2__MemoryKiB/Iterations/Parallelism exceed Auth__Argon2__MaxMemoryKiB/MaxIterations/MaxParallelism: raise the ceiling first.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
