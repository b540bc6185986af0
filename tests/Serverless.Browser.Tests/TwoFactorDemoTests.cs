using Serverless.Browser.Tests.Infrastructure;
using Serverless.Testing;
using static Serverless.Browser.Tests.Infrastructure.Session;

namespace Serverless.Browser.Tests;

/// <summary>
/// Two-factor sign-in driven through the demo page in Chromium (issue 28): enable TOTP from the page's QR code and
/// secret, sign in with a code computed by an independent implementation (Debian's oathtool), with a recovery code,
/// turn it off. Same-site local setup, as the other demo tests.
/// </summary>
public sealed class TwoFactorDemoTests(BrowserFixture browser) : LaxApiTest(browser)
{
    [Fact]
    public async Task TheDemoEnablesTotpSignsInWithACodeAndARecoveryCodeAndTurnsItOff()
    {
        var (page, _) = await DemoPage.OpenAsync(Context, Browser.Demo.SameSiteOrigin, Api.BaseUrl);
        var email = NewEmail();
        var password = NewPassword();
        AssertSession(await page.SignupAsync(email, password), 201, email);
        await page.WaitForTotpStatusAsync(false, 0);

        var (setup, secret) = await page.SetUpTotpAsync(password);
        AssertStatus(setup, 200);
        Assert.Matches("^[A-Z2-7]{32}$", secret);
        Assert.StartsWith("data:image/svg+xml;base64,", await page.Page.GetAttributeAsync("#mfa-qr-image", "src"), StringComparison.Ordinal);
        var (enabled, recoveryCodes) = await page.EnableTotpAsync(await CodeAsync(secret));
        AssertStatus(enabled, 200);
        Assert.Equal(10, recoveryCodes.Count);
        await page.WaitForTotpStatusAsync(true, 10);
        var usedStep = Step();

        // Signed out, the password alone only opens the second step; the code (of a later step) signs in.
        AssertStatus(await page.LogoutAsync(), 204);
        var first = await page.LoginAsync(email, password);
        AssertStatus(first, 200);
        Assert.Equal("mfa_required", first.Body!.Value.GetProperty("status").GetString());
        Assert.Equal("mfa-required", await page.SessionStateAsync());
        Assert.False(await page.Page.IsHiddenAsync("#mfa-step-form"));
        Assert.Null(await StoredCookieAsync(Context, Api));

        var wrong = await page.SecondStepAsync("000000");
        AssertStatus(wrong, 400);
        Assert.NotEmpty(await page.Page.InnerTextAsync("#mfa-step-error"));
        await WaitForStepAfterAsync(usedStep);
        var signedIn = await page.SecondStepAsync(await CodeAsync(secret));
        AssertSession(signedIn, 200, email);
        Assert.Equal("signed-in", await page.SessionStateAsync());
        Assert.Equal("pwd otp mfa", await page.Page.GetAttributeAsync("#session", "data-amr"));
        await AssertStoredAsync(Context, Api);
        AssertSession(await page.VerifyAsync(), 200, email);

        // A recovery code instead: one fewer left.
        AssertStatus(await page.LogoutAsync(), 204);
        AssertStatus(await page.LoginAsync(email, password), 200);
        var recovered = await page.SecondStepAsync(null, recoveryCodes[2]);
        AssertSession(recovered, 200, email);
        Assert.Equal("pwd mfa rcv", await page.Page.GetAttributeAsync("#session", "data-amr"));
        await page.WaitForTotpStatusAsync(true, 9);

        // Off with the password (this session checked a factor moments ago: no code needed); then the password alone signs in.
        AssertStatus(await page.DisableTotpAsync(password, ""), 204);
        await page.WaitForTotpStatusAsync(false, 0);
        AssertStatus(await page.LogoutAsync(), 204);
        AssertSession(await page.LoginAsync(email, password), 200, email);
        Assert.Equal("pwd", await page.Page.GetAttributeAsync("#session", "data-amr"));
    }

    private static long Step() => DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 30;

    /// <summary>A code is accepted once per 30-second step per account: wait for the next step before another.</summary>
    private static async Task WaitForStepAfterAsync(long used)
    {
        while (Step() <= used)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }
    }

    private static async Task<string> CodeAsync(string secret)
    {
        var result = await Command.RunAsync("oathtool", ["--totp", "-b", secret], TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, result.StandardError);
        return result.StandardOutput.Trim();
    }
}
