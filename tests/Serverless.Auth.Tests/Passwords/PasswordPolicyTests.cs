using Microsoft.Extensions.Options;
using Serverless.Auth.Passwords;

namespace Serverless.Auth.Tests.Passwords;

/// <summary>NIST SP 800-63B-4 password rules: length in code points, dictionary, patterns, context. No storage.</summary>
public sealed class PasswordPolicyTests
{
    private const string Email = "john.smith@example.com";
    private const string TooShort = "Password must be at least 15 characters.";
    private const string TooLong = "Password must be at most 256 characters.";

    private static readonly PasswordPolicy Policy = Create(new PasswordOptions());

    private static PasswordPolicy Create(PasswordOptions options) => new(Options.Create(options));

    // ---- length: code points after NFKC, whitespace kept -------------------------------------------------------

    [Fact]
    public void AcceptsFifteenCharactersAndRefusesFourteen()
    {
        Assert.Null(Policy.Check("vX7#qL2!mR9@tK4", Email));
        Assert.Equal(TooShort, Policy.Check("vX7#qL2!mR9@tK", Email));
    }

    [Fact]
    public void CountsAnEmojiAsOneCharacter()
    {
        Assert.Equal(2, PasswordPolicy.LengthOf("a😀"));
        // 14 letters + an emoji: 15 code points (16 UTF-16 units) is long enough ...
        Assert.Null(Policy.Check("vX7#qL2!mR9@tK😀", Email));
        // ... 13 + an emoji is 14 code points, although it is 15 UTF-16 units.
        Assert.Equal(15, "vX7#qL2!mR9@t😀".Length);
        Assert.Equal(TooShort, Policy.Check("vX7#qL2!mR9@t😀", Email));
    }

    [Fact]
    public void CountsCharactersAfterNfkc()
    {
        Assert.Equal(8, PasswordPolicy.LengthOf("ｐａｓｓｗｏｒｄ")); // full-width letters are one each
        Assert.Equal(2, PasswordPolicy.LengthOf("ﬁ"));              // the ligature becomes "fi"
        Assert.Equal(1, PasswordPolicy.LengthOf("e\u0301"));         // e + combining acute composes to é
    }

    [Fact]
    public void KeepsWhitespace()
    {
        Assert.Equal(15, PasswordPolicy.LengthOf("tangerine kayak"));
        Assert.Null(Policy.Check("tangerine kayak", Email));
        Assert.Equal(TooShort, Policy.Check("tangerinekayak", Email));
        Assert.Null(Policy.Check("  tangerinekayak", Email));
    }

    [Fact]
    public void AcceptsMaxLengthAndRefusesOneMore()
    {
        var random = new Random(20240917);
        const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#%&*+-=?@^_~ ";
        var longest = new string([.. Enumerable.Range(0, 256).Select(_ => alphabet[random.Next(alphabet.Length)])]);

        Assert.Null(Policy.Check(longest, Email));
        Assert.False(Policy.IsTooLong(longest));
        Assert.Equal(TooLong, Policy.Check(longest + "x", Email));
        Assert.True(Policy.IsTooLong(longest + "x"));
    }

    [Fact]
    public void MaxLengthCountsCodePointsNotUtf16Units()
    {
        var emoji = string.Concat(Enumerable.Range(0, 256).Select(i => char.ConvertFromUtf32(0x1F600 + (i * 7 % 80))));
        Assert.Equal(512, emoji.Length);
        Assert.False(Policy.IsTooLong(emoji));
        Assert.True(Policy.IsTooLong(emoji + "😀"));
    }

    [Fact]
    public void RefusesTextThatIsNotValidUnicode()
    {
        const string loneSurrogate = "abcdefgh\uD800ijklmnopq";
        Assert.Equal(PasswordPolicy.NotValidText, Policy.Check(loneSurrogate, Email));
        Assert.False(Policy.IsTooLong(loneSurrogate));
    }

    // ---- (a) the common-password dictionary ---------------------------------------------------------------

    [Fact]
    public void ShipsTheWholeCommonPasswordDictionary()
    {
        Assert.True(CommonPasswords.Count > 40_000, $"only {CommonPasswords.Count} entries");
        Assert.True(CommonPasswords.Contains("password"));
        Assert.True(CommonPasswords.Contains("mailcreated5240"));
    }

    [Theory]
    // Entries of 15+ characters from common-passwords.txt that no pattern rule would catch.
    [InlineData("mailcreated5240")]
    [InlineData("polniypizdec0211")]
    [InlineData("hd764nw5d7e1vb1")]
    [InlineData("zqjphsyf6ctifgu")]
    [InlineData("momsanaladventure")]
    [InlineData("bhrh0h2oof6xbqjeh")]
    [InlineData("nemvxyheqdd5oqxyxyzi")]
    [InlineData("MailCreated5240")]   // case folded
    [InlineData("passwordpassword")]  // on the list, so that is the reason given
    [InlineData("1qaz2wsx3edc4rfv")]
    public void RefusesLongDictionaryEntries(string password) =>
        Assert.Equal(PasswordPolicy.TooCommon, Policy.Check(password, Email));

    // ---- (b) trivial patterns -----------------------------------------------------------------------------

    [Theory]
    [InlineData("abcabcabcabcabc")]
    [InlineData("aaaaaaaaaaaaaaaaaaa")]
    [InlineData("abababababababab")]
    [InlineData("dragondragondragon")]
    [InlineData("Xk9#mQ2!Xk9#mQ2!")]       // a random unit, but still one unit twice
    [InlineData("123456789012345")]
    [InlineData("987654321098765")]
    [InlineData("abcdefghijklmnop")]
    [InlineData("абвгдежзийклмноп")]       // sequences in other alphabets too
    [InlineData("qwertyuiopasdfgh")]
    [InlineData("1qaz2wsx3edc4rfv5tgb")]
    [InlineData("zaq12wsxcde34rfv")]
    [InlineData("qazwsxedcrfvtgbyhn")]
    [InlineData("zxcvbnm,./asdfghjkl;")]
    [InlineData("!@#$%^&*()_+qwerty")]      // shifted number row
    [InlineData("aaa bbb ccc ddd eee")]
    [InlineData("aaaaaaaaaaaaaaaXk9")]      // mostly a pattern
    [InlineData("QWERTYUIOPASDFGH")]
    public void RefusesSimplePatterns(string password) =>
        Assert.Equal(PasswordPolicy.SimplePattern, Policy.Check(password, Email));

    [Theory]
    [InlineData("password12345678")]
    [InlineData("PASSWORD12345678")]
    [InlineData("ｐａｓｓｗｏｒｄ１２３４５６７８")] // full-width: NFKC makes it password12345678
    [InlineData("!!!dragon2024!!!")]
    [InlineData("12345monkey!!!!!")]
    [InlineData("dragon 2024 !!!!")]
    [InlineData("sunshine839201!!")]
    [InlineData("dragondragon1234")]
    [InlineData("19840315sunshine")]
    public void RefusesADictionaryEntryWithOnlyDigitsOrSymbolsAround(string password) =>
        Assert.Equal(PasswordPolicy.CommonWithAdditions, Policy.Check(password, Email));

    // ---- (c) context: email address and service name ----------------------------------------------------------

    [Theory]
    [InlineData("john.smith2024!!!")]
    [InlineData("johnsmithjohnsmith")]
    [InlineData("john.smith.john.smith")]
    [InlineData("John Smith 1234567")]
    [InlineData("john.smith@example.com")]
    [InlineData("smith!!!!!!!!!!!!!")]
    public void RefusesPasswordsMadeFromTheEmailAddress(string password) =>
        Assert.Equal(PasswordPolicy.TooCloseToEmail, Policy.Check(password, Email));

    [Fact]
    public void RefusesTheLocalPartItselfAndIgnoresPlusTags()
    {
        Assert.Equal(PasswordPolicy.TooCloseToEmail, Policy.Check("christopher.robinson", "christopher.robinson@example.com"));
        Assert.Equal(PasswordPolicy.TooCloseToEmail, Policy.Check("Christopher-Robinson", "christopher.robinson+news@example.com"));
        Assert.Null(Policy.Check("christopher.robinson", "someone.else@example.com"));
    }

    [Theory]
    [InlineData("serverless auth")]
    [InlineData("Serverless-Auth-2024!")]
    [InlineData("serverlessauth123456")]
    [InlineData("ServerlessAuthServerlessAuth")]
    public void RefusesTheServiceName(string password) =>
        Assert.Equal(PasswordPolicy.TooCloseToServiceName, Policy.Check(password, Email));

    [Fact]
    public void TheServiceNameComesFromTheOptions()
    {
        var contoso = Create(new PasswordOptions { ServiceName = "Contoso Travel" });

        Assert.Equal(PasswordPolicy.TooCloseToServiceName, contoso.Check("contoso.travel.2024", Email));
        Assert.Null(Policy.Check("contoso.travel.2024", Email));
        Assert.Null(Create(new PasswordOptions { ServiceName = "" }).Check("serverless auth", Email));
    }

    // ---- what must pass --------------------------------------------------------------------------------------

    [Theory]
    [InlineData("correct horse battery staple")]
    [InlineData("Tr0ub4dor&3 is not my password at all")]
    [InlineData("我的密码是一个很长很长的句子啊")]
    [InlineData("мой пароль очень длинный")]
    [InlineData("7Kd!p2Lq9#vW4mZr")]
    [InlineData("x8#Tq2!mLp0@Wz7e")]
    [InlineData("monkey dragon sunshine")]      // common words among other words are fine
    [InlineData("purple monkey dishwasher")]
    [InlineData("sweet tree were free")]        // words that happen to be short keyboard walks
    [InlineData("john loves the sea at dawn")]  // the user's name inside a real sentence
    [InlineData("qwertyuiopx7$Lm2")]             // a walk plus enough randomness
    [InlineData("sunshine8392017465")]           // a word plus ten random digits
    [InlineData("i love my dog very much")]
    public void AcceptsStrongPasswords(string password) =>
        Assert.Null(Policy.Check(password, Email));

    // ---- settings -----------------------------------------------------------------------------------------------

    [Fact]
    public void DefaultOptionsAreValid()
    {
        var options = new PasswordOptions();
        Assert.Equal(15, options.MinLength);
        Assert.Equal(256, options.MaxLength);
        Assert.True(new PasswordOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void AnOverlongServiceNameIsRefusedNamingTheSetting()
    {
        var result = new PasswordOptionsValidator().Validate(null, new PasswordOptions { ServiceName = new string('x', 101) });

        Assert.True(result.Failed);
        Assert.Contains("Auth__Password__ServiceName", result.FailureMessage, StringComparison.Ordinal);
    }
}
