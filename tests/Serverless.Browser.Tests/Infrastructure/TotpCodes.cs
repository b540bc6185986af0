using Serverless.Testing;

namespace Serverless.Browser.Tests.Infrastructure;

/// <summary>
/// TOTP codes for the demo tests, from an independent implementation (Debian's oathtool). A code is accepted once per
/// 30-second step per account, so each code comes with the step it is for, and the next one must come from a later step.
/// </summary>
public static class TotpCodes
{
    public static long Step() => DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 30;

    /// <summary>A code for now, and a time step no earlier than the one it is for (read after oathtool ran).</summary>
    public static async Task<(string Code, long Step)> NowAsync(string secret)
    {
        var code = await Oathtool.CodeAsync(secret);
        Assert.Matches("^[0-9]{6}$", code);
        return (code, Step());
    }

    /// <summary>Waits (at most one step, 30 s) for a step after <paramref name="after"/>, then a code of it.</summary>
    public static async Task<(string Code, long Step)> AfterAsync(string secret, long after)
    {
        while (Step() <= after)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250), TestContext.Current.CancellationToken);
        }

        return await NowAsync(secret);
    }
}
