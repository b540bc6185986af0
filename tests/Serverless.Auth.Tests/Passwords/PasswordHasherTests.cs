using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Options;
using Serverless.Auth.Passwords;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Passwords;

public sealed class PasswordHasherTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static PasswordHasher CreateHasher(Argon2Options? options = null)
    {
        var wrapped = Options.Create(options ?? new Argon2Options());
        return new PasswordHasher(wrapped, new HashingSlots(wrapped));
    }

    public static TheoryData<string, string> ReferenceVectors()
    {
        var data = new TheoryData<string, string>();
        foreach (var line in File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Passwords", "argon2-reference-vectors.txt"), Encoding.UTF8))
        {
            if (line.Length > 0 && !line.StartsWith('#'))
            {
                var parts = line.Split('\t');
                data.Add(parts[0], parts[1]);
            }
        }

        return data;
    }

    [Fact]
    public async Task HashIsPhcArgon2idWithDefaultParametersAndVerifies()
    {
        var hasher = CreateHasher();

        var hash = await hasher.HashAsync("correct horse battery staple", Ct);

        Assert.StartsWith("$argon2id$v=19$m=19456,t=2,p=1$", hash, StringComparison.Ordinal);
        Assert.True(PhcHash.TryParse(hash, out var parsed));
        Assert.Equal(16, parsed!.Salt.Length);
        Assert.Equal(32, parsed.Hash.Length);
        Assert.Equal(PasswordCheck.Match, await hasher.VerifyAsync("correct horse battery staple", hash, Ct));
        Assert.Equal(PasswordCheck.Mismatch, await hasher.VerifyAsync("correct horse battery stapler", hash, Ct));
    }

    [Fact]
    public async Task SamePasswordGetsDifferentSalts()
    {
        var hasher = CreateHasher();
        Assert.NotEqual(await hasher.HashAsync("same password twice", Ct), await hasher.HashAsync("same password twice", Ct));
    }

    [Theory]
    [MemberData(nameof(ReferenceVectors))]
    public async Task VerifiesHashesMadeByTheReferenceImplementation(string password, string referenceHash)
    {
        var check = await CreateHasher().VerifyAsync(password, referenceHash, Ct);

        Assert.NotEqual(PasswordCheck.Mismatch, check);
        Assert.Equal(PasswordCheck.Mismatch, await CreateHasher().VerifyAsync(password + "!", referenceHash, Ct));
    }

    [Theory]
    [MemberData(nameof(ReferenceVectors))]
    public void ProducesTheReferenceEncodingForTheSameSaltAndParameters(string password, string referenceHash)
    {
        Assert.True(PhcHash.TryParse(referenceHash, out var reference));

        var ours = PasswordHasher.Compute(password, reference!.Salt, reference.Parameters);

        Assert.Equal(referenceHash, ours.ToString());
    }

    [Fact]
    public async Task ReferenceCliVerifiesOurHash()
    {
        // The other direction, live: our hash of a fresh password must be what the reference CLI computes.
        const string password = "a fresh password for the CLI";
        const string salt = "live-salt-0123456";
        var ours = PasswordHasher.Compute(password, Encoding.ASCII.GetBytes(salt), new Argon2Parameters(19456, 2, 1)).ToString();

        var cli = await Command.RunAsync("argon2", [salt, "-id", "-t", "2", "-k", "19456", "-p", "1", "-l", "32", "-e"], TimeSpan.FromMinutes(1), standardInput: password);
        var reference = cli.StandardOutput.Trim();

        Assert.Equal(0, cli.ExitCode);
        Assert.Equal(reference, ours);
    }

    [Fact]
    public async Task WeakerStoredParametersAskForRehash()
    {
        var weak = PasswordHasher.Compute("upgrade me please now", Encoding.ASCII.GetBytes("saltsaltsalt1234"), new Argon2Parameters(12288, 3, 1)).ToString();

        Assert.Equal(PasswordCheck.MatchNeedsRehash, await CreateHasher().VerifyAsync("upgrade me please now", weak, Ct));
        Assert.Equal(PasswordCheck.Match, await CreateHasher(new Argon2Options { MemoryKiB = 12288, Iterations = 3 }).VerifyAsync("upgrade me please now", weak, Ct));
    }

    [Fact]
    public async Task HashOverTheCeilingIsRefusedWithoutComputing()
    {
        // m = 4 GiB: computing it would be a memory DoS; the hasher must refuse instantly.
        const string planted = "$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0MTIzNA$3sOlQyZQ3asEqhCko2TQGcIzwlkxeNQtuSu1sisMsMg";
        var watch = Stopwatch.StartNew();

        Assert.Equal(PasswordCheck.Mismatch, await CreateHasher().VerifyAsync("anything at all", planted, Ct));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), "over-ceiling hash was computed");
    }

    [Fact]
    public async Task NfkcEquivalentPasswordsVerify()
    {
        var hasher = CreateHasher();
        // Full-width letters and the "ﬁ" ligature normalize (NFKC) to plain ASCII.
        var hash = await hasher.HashAsync("ｆｕｌｌｗｉｄｔｈ ﬁne passphrase", Ct);

        Assert.Equal(PasswordCheck.Match, await hasher.VerifyAsync("fullwidth fine passphrase", hash, Ct));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a hash")]
    [InlineData("$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0MTIzNA$3sOlQyZQ3asEqhCko2TQGcIzwlkxeNQtuSu1sisMsMg")]
    [InlineData("$argon2id$v=16$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0MTIzNA$3sOlQyZQ3asEqhCko2TQGcIzwlkxeNQtuSu1sisMsMg")]
    [InlineData("$argon2id$v=19$m=19456,t=2$c2FsdHNhbHRzYWx0MTIzNA$3sOlQyZQ3asEqhCko2TQGcIzwlkxeNQtuSu1sisMsMg")]
    [InlineData("$argon2id$v=19$m=19456,t=0,p=1$c2FsdHNhbHRzYWx0MTIzNA$3sOlQyZQ3asEqhCko2TQGcIzwlkxeNQtuSu1sisMsMg")]
    [InlineData("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$3sOlQyZQ3asEqhCko2TQGcIzwlkxeNQtuSu1sisMsMg")]
    [InlineData("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0MTIzNA$!!!")]
    [InlineData("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0MTIzNA==$3sOlQyZQ3asEqhCko2TQGcIzwlkxeNQtuSu1sisMsMg")]
    [InlineData("$argon2id$v=19$m=-5,t=2,p=1$c2FsdHNhbHRzYWx0MTIzNA$3sOlQyZQ3asEqhCko2TQGcIzwlkxeNQtuSu1sisMsMg")]
    public void MalformedPhcStringsDoNotParse(string value) => Assert.False(PhcHash.TryParse(value, out _));

    [Fact]
    public void PhcRoundTrips()
    {
        const string text = "$argon2id$v=19$m=8192,t=1,p=2$MDEyMzQ1Njc4OWFiY2RlZg$S4bcyjFRLtPCmLoQoO5V4DYOS1irKwOofhly+1In960";
        Assert.True(PhcHash.TryParse(text, out var parsed));
        Assert.Equal(new Argon2Parameters(8192, 1, 2), parsed!.Parameters);
        Assert.Equal("0123456789abcdef", Encoding.ASCII.GetString(parsed.Salt));
        Assert.Equal(text, parsed.ToString());
    }

    [Fact]
    public async Task FullHashingSlotsAnswerBusyAfterTheQueueTimeout()
    {
        var options = Options.Create(new Argon2Options { MaxConcurrentHashes = 1, QueueTimeoutMilliseconds = 50 });
        using var gate = new HashingSlots(options);
        using var release = new ManualResetEventSlim();
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = Task.Run(() => gate.RunAsync(() =>
        {
            // Running inside the gate: its only slot is taken until the test releases it.
            held.SetResult();
            return release.Wait(TimeSpan.FromSeconds(10));
        }, Ct), Ct);
        await held.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        var busy = await Assert.ThrowsAsync<ServiceBusyException>(() => gate.RunAsync(() => true, Ct));

        Assert.True(busy.RetryAfter > TimeSpan.Zero);
        release.Set();
        Assert.True(await holder, "the holder timed out instead of being released");
        Assert.True(await gate.RunAsync(() => true, Ct));
    }
}
