using System.Security.Cryptography;
using System.Text;
using Konscious.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Serverless.Auth.Passwords;

internal enum PasswordCheck
{
    Mismatch,
    Match,
    /// <summary>Correct password, but the stored hash uses weaker parameters than the current ones.</summary>
    MatchNeedsRehash,
}

/// <summary>Argon2id password hashing in PHC format, interoperable with the reference implementation.</summary>
internal sealed class PasswordHasher
{
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    private readonly Argon2Options options;
    private readonly HashingSlots gate;
    private readonly PhcHash dummyHash;

    public PasswordHasher(IOptions<Argon2Options> options, HashingSlots gate)
    {
        this.options = options.Value;
        this.gate = gate;
        // Verified against when the email is unknown, so both paths cost one hash with current parameters.
        // Random bytes suffice: checking against them costs exactly one Argon2 run and never matches.
        dummyHash = new PhcHash(this.options.Parameters, RandomNumberGenerator.GetBytes(SaltBytes), RandomNumberGenerator.GetBytes(HashBytes));
    }

    /// <summary>Whether a hash started now would run at once (no other is waiting for this instance's slots).</summary>
    public bool HasFreeSlot => gate.HasFreeSlot;

    public Task<string> HashAsync(string password, CancellationToken cancellationToken) =>
        gate.RunAsync(() => Compute(password, RandomNumberGenerator.GetBytes(SaltBytes), options.Parameters).ToString(), cancellationToken);

    public Task<PasswordCheck> VerifyAsync(string password, string storedHash, CancellationToken cancellationToken)
    {
        if (!PhcHash.TryParse(storedHash, out var stored) || stored is null || !options.WithinCeiling(stored.Parameters))
        {
            // Unparseable or over-ceiling hashes are refused, not computed: a planted m=4GiB hash must not run.
            return Task.FromResult(PasswordCheck.Mismatch);
        }

        return gate.RunAsync(() => Check(password, stored), cancellationToken);
    }

    /// <summary>
    /// A hash in today's format and parameters that no password matches (random salt and digest): checking a
    /// password against it costs one full hash and always fails.
    /// </summary>
    public string NewUnmatchableHash() =>
        new PhcHash(options.Parameters, RandomNumberGenerator.GetBytes(SaltBytes), RandomNumberGenerator.GetBytes(HashBytes)).ToString();

    /// <summary>Spends the same work as a real verification, for unknown accounts.</summary>
    public Task BurnVerificationAsync(string password, CancellationToken cancellationToken) =>
        gate.RunAsync(() => Check(password, dummyHash), cancellationToken);

    private PasswordCheck Check(string password, PhcHash stored)
    {
        var candidate = Compute(password, stored.Salt, stored.Parameters, stored.Hash.Length);
        if (!CryptographicOperations.FixedTimeEquals(candidate.Hash, stored.Hash))
        {
            return PasswordCheck.Mismatch;
        }

        return stored.Parameters.IsWeakerThan(options.Parameters) ? PasswordCheck.MatchNeedsRehash : PasswordCheck.Match;
    }

    internal static PhcHash Compute(string password, byte[] salt, Argon2Parameters parameters, int length = HashBytes)
    {
        // NFKC first, so the same password typed on different keyboards / IMEs hashes the same (NIST SP 800-63B).
        var passwordBytes = Encoding.UTF8.GetBytes(password.Normalize(NormalizationForm.FormKC));
        try
        {
            using var argon2 = new Argon2id(passwordBytes)
            {
                Salt = salt,
                MemorySize = parameters.MemoryKiB,
                Iterations = parameters.Iterations,
                DegreeOfParallelism = parameters.Parallelism,
            };
            return new PhcHash(parameters, salt, argon2.GetBytes(length));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
        }
    }
}
