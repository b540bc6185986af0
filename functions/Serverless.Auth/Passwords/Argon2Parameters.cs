namespace Serverless.Auth.Passwords;

/// <summary>Argon2id cost parameters: memory in KiB, passes, lanes.</summary>
internal readonly record struct Argon2Parameters(int MemoryKiB, int Iterations, int Parallelism)
{
    /// <summary>True when any cost is below <paramref name="target"/>: the stored hash should be upgraded.</summary>
    public bool IsWeakerThan(Argon2Parameters target) =>
        MemoryKiB < target.MemoryKiB || Iterations < target.Iterations || Parallelism < target.Parallelism;
}
