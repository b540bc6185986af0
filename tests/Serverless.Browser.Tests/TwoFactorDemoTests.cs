using System.Text;
using System.Text.Json;
using Serverless.Browser.Tests.Infrastructure;
using Serverless.Testing;
using static Serverless.Browser.Tests.Infrastructure.Session;

namespace Serverless.Browser.Tests;

/// <summary>
/// Two-factor sign-in driven through the demo page in Chromium (issue 28): enable TOTP from the page's QR code and
/// secret, sign in with a code computed by an independent implementation (Debian's oathtool), with a recovery code,
/// turn it off. Same-site local setup, as the other demo tests, except that every sensitive change asks for a code
/// (<c>Auth:Mfa:StepUpSeconds</c> 0): with the default window, the session that just checked a factor would turn it
/// off with the password alone, and the codes the test types there would never be looked at.
/// </summary>
public sealed class TwoFactorDemoTests(BrowserFixture browser) : LaxApiTest(browser)
{
    private const string PendingCookiePath = "/api/auth/mfa";

    protected override IReadOnlyDictionary<string, string?> ApiSettings { get; } = new Dictionary<string, string?>
    {
        ["Auth:Mfa:StepUpSeconds"] = "0",
    };

    [Fact]
    public async Task TheDemoEnablesTotpSignsInWithACodeAndARecoveryCodeAndTurnsItOff()
    {
        var (page, _) = await DemoPage.OpenAsync(Context, Browser.Demo.SameSiteOrigin, Api.BaseUrl);
        var email = NewEmail();
        var password = NewPassword();
        AssertSession(await page.SignupAsync(email, password), 201, email);
        await page.WaitForTotpStatusAsync(false, 0);
        Assert.StartsWith("Off", await page.Page.InnerTextAsync("#mfa-status"), StringComparison.Ordinal);

        // Set up: a wrong password is the problem's errors.password on the panel, and nothing to scan.
        var (refused, _) = await page.SetUpTotpAsync(password + "x");
        AssertStatus(refused, 400);
        await AssertMessageAsync(page, "mfa-message", FieldError(refused, "password"));
        Assert.True(await page.Page.IsHiddenAsync("#mfa-qr"));

        // The right one: the server's SVG as an image (decoded, it is the document the API sent; no markup inserted),
        // and the secret as text, the same the API sent.
        var (setup, secret) = await page.SetUpTotpAsync(password);
        AssertStatus(setup, 200);
        Assert.Matches("^[A-Z2-7]{32}$", secret);
        Assert.Equal(setup.Body!.Value.GetProperty("secret").GetString(), secret);
        var src = await page.Page.GetAttributeAsync("#mfa-qr-image", "src");
        const string DataUrl = "data:image/svg+xml;base64,";
        Assert.StartsWith(DataUrl, src, StringComparison.Ordinal);
        var svg = Encoding.UTF8.GetString(Convert.FromBase64String(src![DataUrl.Length..]));
        Assert.Equal(setup.Body.Value.GetProperty("qrSvg").GetString(), svg);
        Assert.Contains("<svg", svg, StringComparison.Ordinal);
        Assert.Equal(0, await page.Page.Locator("svg").CountAsync());
        await page.Page.WaitForFunctionAsync("() => { const img = document.getElementById('mfa-qr-image'); return img.complete && img.naturalWidth > 0; }");

        // Enable: a wrong code is errors.code on the panel and leaves it off; the app's code lists the recovery codes once.
        var (wrongEnable, _) = await page.EnableTotpAsync(WrongCode);
        AssertStatus(wrongEnable, 400);
        await AssertMessageAsync(page, "mfa-message", FieldError(wrongEnable, "code"));
        var (enableCode, enableStep) = await TotpCodes.NowAsync(secret);
        var (enabled, recoveryCodes) = await page.EnableTotpAsync(enableCode);
        AssertStatus(enabled, 200);
        Assert.Equal(Strings(enabled.Body!.Value.GetProperty("recoveryCodes")), recoveryCodes);
        Assert.Equal(10, recoveryCodes.Distinct(StringComparer.Ordinal).Count());
        Assert.All(recoveryCodes, code => Assert.Matches("^[0-9a-z]{5}-[0-9a-z]{5}$", code));
        Assert.True(await page.Page.IsHiddenAsync("#mfa-qr"));
        Assert.Equal("", await page.Page.InnerTextAsync("#mfa-secret"));
        await page.WaitForTotpStatusAsync(true, 10);
        Assert.Contains("10 recovery codes left", await page.Page.InnerTextAsync("#mfa-status"), StringComparison.Ordinal);

        // Signed out, the password alone only opens the second step: no session cookie, only the pending one.
        AssertStatus(await page.LogoutAsync(), 204);
        Assert.True(await page.Page.IsHiddenAsync("#mfa-form"));
        Assert.Equal("", await page.Page.InnerTextAsync("#mfa-recovery-codes"));
        await AssertSecondStepAsync(page, await page.LoginAsync(email, password));

        // A wrong code: errors.code under the form, and the step stays open. The next step's code signs in.
        var wrong = await page.SecondStepAsync(WrongCode);
        AssertStatus(wrong, 400);
        await AssertMessageAsync(page, "mfa-step-error", FieldError(wrong, "code"));
        Assert.Equal("mfa-required", await page.SessionStateAsync());
        var (signInCode, signInStep) = await TotpCodes.AfterAsync(secret, after: enableStep);
        var signedIn = await page.SecondStepAsync(signInCode);
        await AssertSignedInAsync(page, signedIn, email, ["pwd", "otp", "mfa"]);
        var verified = await page.VerifyAsync();
        AssertSession(verified, 200, email);
        Assert.Equal(["pwd", "otp", "mfa"], Strings(verified.Body!.Value.GetProperty("amr")));
        await page.WaitForTotpStatusAsync(true, 10);

        // A recovery code instead, through the form's "Use a recovery code" link: one fewer left.
        AssertStatus(await page.LogoutAsync(), 204);
        await AssertSecondStepAsync(page, await page.LoginAsync(email, password));
        await page.Page.ClickAsync("#mfa-step-switch");
        Assert.True(await page.Page.IsHiddenAsync("#mfa-step-code"));
        Assert.False(await page.Page.IsHiddenAsync("#mfa-step-recovery"));
        Assert.Equal("Use a code from the app", await page.Page.InnerTextAsync("#mfa-step-switch"));
        var recovered = await page.SecondStepWithRecoveryCodeAsync(recoveryCodes[2]);
        await AssertSignedInAsync(page, recovered, email, ["pwd", "mfa", "rcv"]);
        await page.WaitForTotpStatusAsync(true, 9);
        Assert.Contains("9 recovery codes left", await page.Page.InnerTextAsync("#mfa-status"), StringComparison.Ordinal);

        // Turning it off asks for the password and a second factor: none, the spent recovery code and the code
        // already used at sign-in are each refused with the field's message on the panel, and it stays on.
        var bare = await page.DisableTotpAsync(password, "");
        AssertStatus(bare, 400);
        await AssertMessageAsync(page, "mfa-message", FieldError(bare, "code"));
        var spent = await page.DisableTotpAsync(password, recoveryCodes[2]);
        AssertStatus(spent, 400);
        await AssertMessageAsync(page, "mfa-message", FieldError(spent, "recoveryCode"));
        var replayed = await page.DisableTotpAsync(password, signInCode);
        AssertStatus(replayed, 400);
        await AssertMessageAsync(page, "mfa-message", FieldError(replayed, "code"));
        await page.WaitForTotpStatusAsync(true, 9);

        // A code of a later step turns it off.
        var (disableCode, _) = await TotpCodes.AfterAsync(secret, after: signInStep);
        AssertStatus(await page.DisableTotpAsync(password, disableCode), 204);
        await page.WaitForTotpStatusAsync(false, 0);
        Assert.Equal("Two-factor sign-in is off.", await page.Page.InnerTextAsync("#mfa-message"));

        // Then the password alone signs in, with no second step.
        AssertStatus(await page.LogoutAsync(), 204);
        await AssertSignedInAsync(page, await page.LoginAsync(email, password), email, ["pwd"]);
        Assert.Null(await PendingCookieAsync());
    }

    /// <summary>Six digits no authenticator shows for this secret now (a one-in-a-million chance each time).</summary>
    private const string WrongCode = "000000";

    /// <summary>The login answered mfa_required and the page asks for the app's code; the browser holds only the pending cookie.</summary>
    private async Task AssertSecondStepAsync(DemoPage page, ApiCall login)
    {
        AssertStatus(login, 200);
        var body = login.Body!.Value;
        Assert.Equal("mfa_required", body.GetProperty("status").GetString());
        Assert.Equal(["totp", "recovery"], Strings(body.GetProperty("methods")));
        Assert.InRange(body.GetProperty("expiresAt").GetDateTimeOffset() - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5.1));
        Assert.False(body.TryGetProperty("userId", out _));

        Assert.Equal("mfa-required", await page.SessionStateAsync());
        Assert.False(await page.Page.IsHiddenAsync("#mfa-step-form"));
        Assert.False(await page.Page.IsHiddenAsync("#mfa-step-code"));
        Assert.True(await page.Page.IsHiddenAsync("#mfa-step-recovery"));
        Assert.Equal("Use a recovery code", await page.Page.InnerTextAsync("#mfa-step-switch"));
        Assert.Equal("", await page.Page.InnerTextAsync("#mfa-step-error"));
        Assert.True(await page.Page.IsHiddenAsync("#mfa-form"));

        Assert.Null(await StoredCookieAsync(Context, Api));
        Assert.Null(await StoredRefreshCookieAsync(Context, Api));
        var pending = await PendingCookieAsync();
        Assert.NotNull(pending);
        Assert.True(pending.HttpOnly);
    }

    /// <summary>The second step (or a login) signed in: the body and the page both say who, and how.</summary>
    private async Task AssertSignedInAsync(DemoPage page, ApiCall call, string email, string[] amr)
    {
        await Session.AssertSignedInShownAsync(page, call, email, amr);
        Assert.True(await page.Page.IsHiddenAsync("#mfa-step-form"));
        Assert.False(await page.Page.IsHiddenAsync("#mfa-form"));
        await AssertStoredAsync(Context, Api);
        Assert.Null(await PendingCookieAsync()); // single use: the second step clears it
    }

    private async Task<Microsoft.Playwright.BrowserContextCookiesResult?> PendingCookieAsync() =>
        (await Context.CookiesAsync()).SingleOrDefault(cookie => cookie.Path == PendingCookiePath);

    /// <summary>A status line under a form shows the problem's field message as an error.</summary>
    private static async Task AssertMessageAsync(DemoPage page, string id, string expected)
    {
        var (state, text) = await page.MessageAsync(id);
        Assert.Equal("error", state);
        Assert.Equal(expected, text);
    }

    /// <summary>The problem+json message for one field (errors.&lt;field&gt;).</summary>
    private static string FieldError(ApiCall call, string field)
    {
        var messages = default(JsonElement);
        Assert.True(call.Body!.Value.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out messages), $"expected errors.{field}: {call}");
        return string.Join(' ', Strings(messages));
    }

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(item => item.GetString()!)];
}
