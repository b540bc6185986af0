using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Serverless.Auth.Mfa;
using Serverless.Auth.Secrets;
using Serverless.Testing;

using Serverless.Auth.Tests.Infrastructure;

namespace Serverless.Auth.Tests.Mfa;

/// <summary>
/// The parts of the TOTP factor that need no storage (issue 28, first part): codes as an independent implementation
/// (Debian's oathtool) computes them, the window, the secret sealed at rest, recovery codes.
/// </summary>
public sealed partial class TotpFactorTests
{
    private static readonly string CurrentKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    private static readonly string OlderKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 10, TimeSpan.Zero);

    [Fact]
    public async Task CodesFromOathtoolMatchTheCurrentStepAndOneEitherSideButNotTwo()
    {
        var secret = TotpCodes.NewSecret();
        Assert.Equal(20, secret.Length);
        var step = TotpCodes.StepAt(Now);

        foreach (var offset in new[] { -1, 0, 1 })
        {
            var code = await OathtoolAsync(secret, Now.AddSeconds(offset * TotpCodes.StepSeconds));
            Assert.Equal(step + offset, TotpCodes.MatchedStep(secret, code, Now));
        }

        foreach (var offset in new[] { -2, 2 })
        {
            var code = await OathtoolAsync(secret, Now.AddSeconds(offset * TotpCodes.StepSeconds));
            // A code of a step two away may collide with one inside the window by chance (1 in 10^6 per step): only a real match counts.
            Assert.True(TotpCodes.MatchedStep(secret, code, Now) is null || code == await OathtoolAsync(secret, Now), code);
        }
    }

    /// <summary>RFC 6238 appendix B (SHA-1 key "12345678901234567890"), truncated to six digits as apps show it.</summary>
    [Theory]
    [InlineData(59, "287082")]
    [InlineData(1111111109, "081804")]
    [InlineData(1234567890, "005924")]
    [InlineData(2000000000, "279037")]
    public void MatchesTheRfcVectors(long unixSeconds, string code)
    {
        var time = DateTimeOffset.FromUnixTimeSeconds(unixSeconds);
        Assert.Equal(TotpCodes.StepAt(time), TotpCodes.MatchedStep("12345678901234567890"u8.ToArray(), code, time));
    }

    [Theory]
    [InlineData("")]
    [InlineData("12345")]
    [InlineData("1234567")]
    [InlineData("12345a")]
    [InlineData("١٢٣٤٥٦")]
    [InlineData("１２３４５６")]
    public void AnythingButSixAsciiDigitsIsNoCode(string code) =>
        Assert.Null(TotpCodes.MatchedStep(TotpCodes.NewSecret(), code, Now));

    [Fact]
    public async Task ACodeWithTheAppsSpaceStillMatches()
    {
        var secret = TotpCodes.NewSecret();
        var code = await OathtoolAsync(secret, Now);
        Assert.Equal(TotpCodes.StepAt(Now), TotpCodes.MatchedStep(secret, code[..3] + " " + code[3..], Now));
    }

    [Fact]
    public void TheOtpAuthUriCarriesTheSecretIssuerAndParameters()
    {
        var secret = TotpCodes.NewSecret();
        var uri = new Uri(TotpCodes.OtpAuthUri("Acme & Co", "ana@example.com", secret));

        Assert.Equal("otpauth", uri.Scheme);
        Assert.Equal("totp", uri.Host);
        Assert.Equal("/Acme%20%26%20Co:ana%40example.com", uri.AbsolutePath);
        Assert.Contains($"secret={TotpCodes.Base32(secret)}&issuer=Acme%20%26%20Co&algorithm=SHA1&digits=6&period=30", uri.Query, StringComparison.Ordinal);
        Assert.DoesNotContain("=", TotpCodes.Base32(secret), StringComparison.Ordinal);
    }

    [Fact]
    public void TheSealedSecretOpensOnlyForItsAccountAndUntampered()
    {
        var box = new TotpSecretBox(ServerKeys($"now:{CurrentKey}"));
        var secret = TotpCodes.NewSecret();
        var sealedValue = box.Seal("user-a", secret);

        Assert.Equal(secret, box.Open("user-a", sealedValue));
        Assert.DoesNotContain(TotpCodes.Base32(secret), sealedValue, StringComparison.Ordinal);
        Assert.NotEqual(sealedValue, box.Seal("user-a", secret));
        Assert.Null(box.Open("user-b", sealedValue));
        var parts = sealedValue.Split('.');
        var flipped = parts[3][..^2] + (parts[3][^2] == 'A' ? 'B' : 'A') + parts[3][^1];
        Assert.Null(box.Open("user-a", string.Join('.', parts[0], parts[1], parts[2], flipped)));
        Assert.Null(box.Open("user-a", "v1.now.x.y"));
        Assert.Null(box.Open("user-a", "garbage"));
    }

    [Fact]
    public void ASecretSealedUnderAnOlderKeyOpensWhileThatKeyIsListedAndAsksToBeResealed()
    {
        var secret = TotpCodes.NewSecret();
        var sealedBefore = new TotpSecretBox(ServerKeys($"old:{OlderKey}")).Seal("user-a", secret);
        var rotated = new TotpSecretBox(ServerKeys($"now:{CurrentKey};old:{OlderKey}"));

        Assert.Equal(secret, rotated.Open("user-a", sealedBefore));
        Assert.True(rotated.IsUnderOlderKey(sealedBefore));
        Assert.False(rotated.IsUnderOlderKey(rotated.Seal("user-a", secret)));
        Assert.Null(new TotpSecretBox(ServerKeys($"now:{CurrentKey}")).Open("user-a", sealedBefore));
    }

    [Fact]
    public void RecoveryCodesAreTenDistinctFiftyBitCodesStoredAsKeyedHashes()
    {
        var codes = RecoveryCodes.Generate();
        var recovery = new RecoveryCodes(ServerKeys($"now:{CurrentKey}"));
        var hashes = codes.Select(recovery.Hash).ToList();

        Assert.Equal(10, codes.Distinct().Count());
        Assert.All(codes, code => Assert.Matches(CodeFormat(), code));
        Assert.All(hashes, hash => Assert.DoesNotContain(RecoveryCodes.Normalize(codes[0])!, hash, StringComparison.Ordinal));
        Assert.Equal(3, recovery.Find(hashes, codes[3]));
        Assert.Equal(3, recovery.Find(hashes, codes[3].ToUpperInvariant().Replace("-", " ", StringComparison.Ordinal)));
        Assert.Null(recovery.Find(hashes, "00000-00000"));
        Assert.Null(recovery.Find(hashes, codes[3][..^1]));
        // Under another server key the same code hashes differently: a table alone does not let anyone check guesses.
        Assert.Null(new RecoveryCodes(ServerKeys($"now:{OlderKey}")).Find(hashes, codes[3]));
    }

    [Theory]
    [InlineData("abcde-fghjk", "abcdefghjk")]
    [InlineData("ABCDE FGHJK", "abcdefghjk")]
    [InlineData("oOiIl-23456", "0011123456")]
    [InlineData("abcde-fghju", null)]
    [InlineData("abcde-fghj\u212A", null)]
    [InlineData("\u0130bcde-fghjk", null)]
    [InlineData("abcde-fghj", null)]
    public void RecoveryCodeInputIsForgivingButOnlyAscii(string input, string? expected) =>
        Assert.Equal(expected, RecoveryCodes.Normalize(input));

    private static ServerKey ServerKeys(string ring) => new(Options.Create(new ServerSecretOptions { ServerKey = ring }));

    private static Task<string> OathtoolAsync(byte[] secret, DateTimeOffset at) => Oathtool.CodeAsync(TotpCodes.Base32(secret), at);

    [GeneratedRegex("^[0-9abcdefghjkmnpqrstvwxyz]{5}-[0-9abcdefghjkmnpqrstvwxyz]{5}$")]
    private static partial Regex CodeFormat();
}
