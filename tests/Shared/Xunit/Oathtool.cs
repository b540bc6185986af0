using System.Globalization;

namespace Serverless.Testing;

/// <summary>TOTP codes from an independent implementation: Debian's oathtool (installed by the test command).</summary>
public static class Oathtool
{
    /// <param name="base32Secret">The secret as apps take it (base32).</param>
    /// <param name="at">The time to compute the code for; null: now.</param>
    public static async Task<string> CodeAsync(string base32Secret, DateTimeOffset? at = null)
    {
        string[] args = at is { } time
            ? ["--totp", "-b", "--now", time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC", base32Secret]
            : ["--totp", "-b", base32Secret];
        var result = await Command.RunAsync("oathtool", args, TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, result.StandardError);
        return result.StandardOutput.Trim();
    }
}
