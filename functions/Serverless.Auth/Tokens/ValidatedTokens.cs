using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Serverless.Auth.Tokens;

/// <summary>
/// Access tokens whose signature, algorithm, type, issuer, audience and claims this instance has already
/// checked, so that a browser's repeated verify skips the signature (about 60 µs of CPU for ES256). What is
/// kept never changes for a given token string; its lifetime is checked again on every hit against the
/// clock (<see cref="AccessTokens"/>), and revocation is never cached (the caller checks it on every
/// request). Bounded: a fixed array of slots, each token's slot chosen by its SHA-256, a newer token
/// taking over an occupied slot. Only the digest is kept, never the token itself.
/// </summary>
internal sealed class ValidatedTokens
{
    /// <summary>Slots (a power of two). About 0.5 KiB each when full: 2 MiB at most.</summary>
    public const int Capacity = 4096;

    private readonly Entry?[] slots = new Entry?[Capacity];

    /// <summary>A validated token: the subject it speaks for and its not-before time (null: none).</summary>
    internal sealed record Entry(Digest Key, TokenSubject Subject, DateTime? NotBefore);

    /// <summary>SHA-256 of the token, as two 128-bit halves: equal digests mean the same token.</summary>
    internal readonly record struct Digest(UInt128 High, UInt128 Low)
    {
        /// <param name="token">An ASCII token of at most <see cref="AccessTokens.MaxTokenBytes"/> characters (the caller checks both).</param>
        public static Digest Of(string token) => Of(token.AsSpan());

        /// <summary>The same digest, from the characters where they are (a request header): no string is made.</summary>
        /// <param name="token">An ASCII token of at most <see cref="AccessTokens.MaxTokenBytes"/> characters (the caller checks both).</param>
        public static Digest Of(ReadOnlySpan<char> token)
        {
            // The ASCII bytes, not the UTF-16 ones: half the input to hash on every protected request.
            if (token.Length > AccessTokens.MaxTokenBytes)
            {
                throw new ArgumentException("Tokens longer than MaxTokenBytes are never hashed.", nameof(token));
            }

            Span<byte> ascii = stackalloc byte[token.Length];
            if (System.Text.Ascii.FromUtf16(token, ascii, out var length) != System.Buffers.OperationStatus.Done)
            {
                throw new ArgumentException("Only ASCII tokens are hashed.", nameof(token));
            }

            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(ascii[..length], hash);
            return new Digest(BinaryPrimitives.ReadUInt128LittleEndian(hash), BinaryPrimitives.ReadUInt128LittleEndian(hash[16..]));
        }

        public int Slot => (int)(Low & (Capacity - 1));
    }

    /// <summary>The cached entry for this digest, or null.</summary>
    public Entry? Find(Digest key) => Volatile.Read(ref slots[key.Slot]) is { } entry && entry.Key == key ? entry : null;

    public void Add(Digest key, TokenSubject subject, DateTime? notBefore) => Volatile.Write(ref slots[key.Slot], new Entry(key, subject, notBefore));

    /// <summary>Occupied slots (for tests: never more than <see cref="Capacity"/>).</summary>
    internal int Count => slots.Count(slot => Volatile.Read(ref slot) is not null);
}
