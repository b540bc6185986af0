using Serverless.Auth.Accounts;

namespace Serverless.Auth.Tests.Accounts;

/// <summary>
/// One visible address, one canonical form: look-alikes either canonicalise to the same address or
/// are refused with a reason. Invisible characters are written as escapes on purpose.
/// </summary>
public sealed class EmailCanonicalizationTests
{
    /// <summary>About 200 characters, all non-ASCII but the @ and the dots; its A-label domain is 161 characters.</summary>
    public static readonly string LongUnicodeAddress =
        string.Concat(Enumerable.Repeat("日本語ü", 16)) + "@" + new string('ü', 55) + "." + new string('é', 55) + "." + new string('日', 20) + ".テスト";

    [Theory]
    [InlineData("ada@example.com", "ada@example.com")]
    [InlineData("  Ada@Example.COM ", "ada@example.com")]
    [InlineData("ａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ", "ada@example.com")]
    [InlineData("ＡＤＡ@ＥＸＡＭＰＬＥ.ＣＯＭ", "ada@example.com")]
    [InlineData("ada@example.com.", "ada@example.com")]
    [InlineData("ada@example\uFF0Ecom\uFF0E", "ada@example.com")]
    [InlineData("ada@bücher.example", "ada@bücher.example")]
    [InlineData("ada@BÜCHER.example", "ada@bücher.example")]
    [InlineData("ada@xn--bcher-kva.example", "ada@bücher.example")]
    [InlineData("ada@XN--BCHER-KVA.EXAMPLE.", "ada@bücher.example")]
    [InlineData("ada@bu\u0308cher.example", "ada@bücher.example")]
    [InlineData("ada@例え\u3002テスト", "ada@例え.テスト")]
    [InlineData("Zoë.O'Brien+news@example.com", "zoë.o'brien+news@example.com")]
    [InlineData("Zoe\u0308@example.com", "zoë@example.com")]
    public void LookAlikeFormsCanonicaliseToOneAddress(string input, string expected)
    {
        Assert.True(EmailAddress.TryCanonicalize(input, out var canonical, out var problem), problem);
        Assert.Equal(expected, canonical);
        Assert.Equal(EmailAddress.StorageKey(expected), EmailAddress.StorageKey(canonical));
    }

    [Theory]
    [InlineData("ada\u200B@example.com")]          // zero-width space
    [InlineData("a\u200Cda@example.com")]          // zero-width non-joiner
    [InlineData("a\u200Dda@example.com")]          // zero-width joiner
    [InlineData("ad\u00ADa@example.com")]          // soft hyphen
    [InlineData("\u202Eada@example.com")]          // right-to-left override
    [InlineData("ada@example.com\u202C")]          // pop directional formatting
    [InlineData("ada\u2066@example.com")]          // left-to-right isolate
    [InlineData("\uFEFFada@example.com")]          // byte order mark / zero-width no-break space
    [InlineData("ada\u2060@example.com")]          // word joiner
    [InlineData("ada\uFE0F@example.com")]          // variation selector 16
    [InlineData("ada\u034F@example.com")]          // combining grapheme joiner
    [InlineData("ada\u3164@example.com")]          // Hangul filler (a letter that shows nothing)
    [InlineData("ada\U000E0041@example.com")]      // tag character
    [InlineData("ada@exa\u200Bmple.com")]          // in the domain, which IDNA would silently drop
    [InlineData("ada@ex\u00ADample.com")]
    [InlineData("ada\u0000@example.com")]
    [InlineData("ada\u0007@example.com")]
    [InlineData("ada\u2028@example.com")]          // line separator
    [InlineData("ada\uE000@example.com")]          // private use
    public void InvisibleCharactersAreRefusedWithAReason(string input) => AssertRefused(input, EmailAddress.InvisibleMessage);

    [Fact]
    public void IllFormedUtf16IsRefused()
    {
        // Not in InlineData: attribute strings are stored as UTF-8, which cannot hold a lone surrogate.
        foreach (var input in new[] { "ada\uD800@example.com", "ada@example.com\uDC00", "\uDC00\uD800ada@example.com" })
        {
            AssertRefused(input, EmailAddress.InvisibleMessage);
        }
    }

    [Theory]
    [InlineData("\"ada\"@example.com")]
    [InlineData("\"ada lovelace\"@example.com")]
    [InlineData("\"<script>alert(1)</script>\"@example.com")]
    [InlineData("\"<img src=x onerror=alert(1)>\"@example.com")]
    [InlineData("\"a@b\"@example.com")]
    [InlineData("＂ada＂@example.com")]
    public void QuotedLocalPartsAreRefused(string input) => AssertRefused(input, EmailAddress.QuotedMessage);

    [Theory]
    [InlineData("ada@[127.0.0.1]")]
    [InlineData("ada@[IPv6:2001:db8::1]")]
    [InlineData("ada@[IPv6:::1]")]
    [InlineData("ada@127.0.0.1")]
    [InlineData("ada@１２７.０.０.１")]
    public void IpAddressDomainsAreRefused(string input) => AssertRefused(input, EmailAddress.IpLiteralMessage);

    [Theory]
    [InlineData("<b>ada</b>@example.com")]
    [InlineData("ada<script>@example.com")]
    [InlineData("Ann <ann@example.com>")]
    [InlineData("ada(comment)@example.com")]
    [InlineData("two@@example.com")]
    [InlineData("a@b@example.com")]
    [InlineData("not-an-email")]
    [InlineData("@example.com")]
    [InlineData("ada@")]
    [InlineData(".ada@example.com")]
    [InlineData("ada.@example.com")]
    [InlineData("a..da@example.com")]
    [InlineData("spaces in@example.com")]
    [InlineData("ada\u3000x@example.com")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    public void MalformedAddressesAreRefusedAsInvalid(string? input) => AssertRefused(input, EmailAddress.InvalidMessage);

    [Theory]
    [InlineData("ada@example..com")]
    [InlineData("ada@example.com..")]
    [InlineData("ada@.example.com")]
    [InlineData("ada@-example.com")]
    [InlineData("ada@example-.com")]
    [InlineData("ada@exa_mple.com")]
    [InlineData("ada@exa mple.com")]
    [InlineData("ada@ab--cd.example")]
    [InlineData("ada@xn--a.example")]
    [InlineData("ada@<script>.com")]
    public void InvalidDomainsAreRefused(string input) => AssertRefused(input, EmailAddress.DomainMessage);

    [Theory]
    [InlineData("ada\u2800@example.com")]          // braille pattern blank: a symbol that shows as a space
    [InlineData("ada\u2024b@example.com")]         // one dot leader: NFKC makes it a plain dot
    [InlineData("ada\u00B7b@example.com")]         // middle dot
    [InlineData("ada@exa\u2800mple.com")]
    public void NonAsciiSymbolsAreRefusedOrMappedToAscii(string input)
    {
        var accepted = EmailAddress.TryCanonicalize(input, out var canonical, out var problem);

        // Either refused, or NFKC turned the symbol into plain ASCII: never kept as a look-alike.
        Assert.True(!accepted || canonical!.All(char.IsAscii), $"{input} -> {canonical}");
        Assert.True(accepted || problem is not null);
    }

    [Fact]
    public void AValid200CharacterNonAsciiAddressIsAcceptedWithAFixedSizeKey()
    {
        Assert.InRange(LongUnicodeAddress.Length, 195, 205);
        Assert.Equal(4, LongUnicodeAddress.Count(char.IsAscii));

        Assert.True(EmailAddress.TryCanonicalize(LongUnicodeAddress, out var canonical, out var problem), problem);

        Assert.Equal(LongUnicodeAddress, canonical);
        var key = EmailAddress.StorageKey(canonical);
        Assert.Equal(43, key.Length);
        Assert.All(key, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));
    }

    [Fact]
    public void StorageKeysAreFixedSizeAndDistinct()
    {
        Assert.Equal(43, EmailAddress.StorageKey("a@b.co").Length);
        Assert.Equal(43, EmailAddress.StorageKey(new string('x', 2000)).Length);
        Assert.NotEqual(EmailAddress.StorageKey("ada@example.com"), EmailAddress.StorageKey("ada@example.co"));
    }

    [Fact]
    public void LengthLimitsApplyToTheCanonicalForm()
    {
        var local64 = new string('a', 64);
        Assert.True(EmailAddress.TryCanonicalize(local64 + "@example.com", out _, out _));
        Assert.False(EmailAddress.TryCanonicalize(local64 + "a@example.com", out _, out var tooLongLocal));
        Assert.Equal(EmailAddress.LocalTooLongMessage, tooLongLocal);

        // Fullwidth input longer than the limit canonicalises to an address within it.
        Assert.True(EmailAddress.TryCanonicalize(new string('ａ', 64) + "＠example.com", out var folded, out _));
        Assert.Equal(local64 + "@example.com", folded);

        var label63 = new string('b', 63);
        Assert.True(EmailAddress.TryCanonicalize("a@" + label63 + ".com", out _, out _));
        Assert.False(EmailAddress.TryCanonicalize("a@" + label63 + "b.com", out _, out _));

        var over254 = local64 + "@" + string.Join('.', Enumerable.Repeat(new string('b', 60), 4)) + ".com";
        Assert.True(over254.Length > EmailAddress.MaxLength);
        Assert.False(EmailAddress.TryCanonicalize(over254, out _, out _));
        Assert.False(EmailAddress.TryCanonicalize(new string('a', 100_000) + "@example.com", out _, out _));
    }

    [Fact]
    public void TheCanonicalFormCanonicalisesToItself()
    {
        string[] inputs =
        [
            "ａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ", "ada@xn--bcher-kva.example.", "ada@例え\u3002テスト", "ada@faß.de", "ada@xn--zca.de",
            "Zoë@Example.com", "ﬁle@example.com", "ada@ΣΑΣ.example", "İstanbul@example.com", LongUnicodeAddress,
        ];

        foreach (var input in inputs)
        {
            Assert.True(EmailAddress.TryCanonicalize(input, out var canonical, out var problem), $"{input}: {problem}");
            Assert.True(EmailAddress.TryCanonicalize(canonical, out var again, out _), canonical);
            Assert.Equal(canonical, again);
        }
    }

    [Fact]
    public void NoInputThrows()
    {
        var random = new Random(20240613);
        char[] alphabet = ['a', '@', '.', '"', '[', ']', '-', 'x', 'n', '\u200B', '\uD800', '\uDC00', 'ü', '日', '\uFF0E', '\u3002', ' ', '\\', ':', '\u0301'];
        for (var i = 0; i < 5_000; i++)
        {
            var text = new string([.. Enumerable.Range(0, random.Next(0, 80)).Select(_ => i % 2 == 0 ? alphabet[random.Next(alphabet.Length)] : (char)random.Next(0, 0x10000))]);
            var accepted = EmailAddress.TryCanonicalize(text, out var canonical, out var problem);
            Assert.True(accepted ? canonical is not null && problem is null : canonical is null && problem is not null, text);
        }
    }

    private static void AssertRefused(string? input, string reason)
    {
        Assert.False(EmailAddress.TryCanonicalize(input, out var canonical, out var problem));
        Assert.Null(canonical);
        Assert.Equal(reason, problem);
    }
}
