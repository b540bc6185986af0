using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Serverless.Browser.Tests.Infrastructure;
using Serverless.Testing;
using static Serverless.Browser.Tests.Infrastructure.Session;

namespace Serverless.Browser.Tests;

/// <summary>
/// Passkeys driven through the demo page in Chromium (issue 29), with the DevTools virtual authenticator standing in for
/// the platform's (a device-bound, user-verifying, discoverable one that answers at once): add one, sign in with it
/// without a password, list and delete it; a passkey as the second step of a TOTP account; and a page on an origin the
/// API allows for CORS but not for passkeys, whose ceremonies are refused without a session. The page is served on its
/// own origin (http://localhost:&lt;demo port&gt;), the API on another (http://localhost:&lt;API port&gt;); the
/// page's passkey actions make several calls, and each test reads all of them as the page got them.
/// </summary>
public sealed class PasskeyDemoTests(BrowserFixture browser) : LaxApiTest(browser)
{
    private const string OriginRefused = "The ceremony ran on an origin this service does not allow for passkeys.";

    [Fact]
    public async Task APasskeyAddedOnTheDemoPageSignsInWithoutAPasswordAndDeleteRemovesIt()
    {
        var (page, authenticator) = await OpenWithAuthenticatorAsync(Browser.Demo.SameSiteOrigin, Api.BaseUrl);
        Assert.NotEqual(new Uri(Api.BaseUrl).Port, new Uri(Browser.Demo.SameSiteOrigin).Port); // two origins
        var email = NewEmail();
        var password = NewPassword();
        var signedUp = await page.SignupAsync(email, password);
        AssertSession(signedUp, 201, email);
        var userId = signedUp.Body!.Value.GetProperty("userId").GetString()!;
        await WaitForPasskeyCountAsync(page, 0);
        Assert.Equal("No passkeys yet.", await page.Page.InnerTextAsync("#passkeys-list"));
        Assert.True(await page.Page.IsHiddenAsync("#passkey-code-field")); // TOTP off: no code asked

        // Without the password (this session checked no second factor): the options' 400 errors.password on the panel.
        var bare = Assert.Single(await PasskeyActionAsync(page, "#passkey-add"));
        Assert.Equal("POST /api/auth/passkeys/register/options", bare.Request);
        AssertStatus(bare, 400);
        await AssertMessageAsync(page, "passkey-message", "error", FieldError(bare, "password"));
        Assert.Empty(await authenticator.CredentialsAsync());

        // With it: the options, the authenticator's new credential, and the API's record of it, all one passkey.
        await page.Page.FillAsync("#passkey-name", "Test laptop");
        await page.Page.FillAsync("#passkey-password", password);
        var added = await PasskeyActionAsync(page, "#passkey-add");
        AssertRequests(added, "POST /api/auth/passkeys/register/options", "POST /api/auth/passkeys/register");
        var options = AssertOk(added[0]).GetProperty("publicKey");
        Assert.Equal("localhost", options.GetProperty("rp").GetProperty("id").GetString());
        Assert.Equal(email, options.GetProperty("user").GetProperty("name").GetString());
        Assert.Equal(userId, Encoding.UTF8.GetString(Base64Url.DecodeFromChars(options.GetProperty("user").GetProperty("id").GetString())));
        Assert.Equal(32, Base64Url.DecodeFromChars(options.GetProperty("challenge").GetString()).Length);
        Assert.Equal("required", options.GetProperty("authenticatorSelection").GetProperty("residentKey").GetString());
        Assert.Equal("required", options.GetProperty("authenticatorSelection").GetProperty("userVerification").GetString());
        Assert.Equal(0, options.GetProperty("excludeCredentials").GetArrayLength());
        var passkey = AssertOk(added[1]);
        var id = passkey.GetProperty("id").GetString()!;
        Assert.Equal("Test laptop", passkey.GetProperty("name").GetString());
        Assert.InRange(passkey.GetProperty("createdAt").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-2), DateTimeOffset.UtcNow.AddSeconds(5));
        Assert.Equal(JsonValueKind.Null, passkey.GetProperty("lastUsedAt").ValueKind);
        Assert.False(passkey.GetProperty("backupEligible").GetBoolean()); // the virtual authenticator sets no backup flags
        Assert.False(passkey.GetProperty("backedUp").GetBoolean());
        Assert.Equal(["internal"], Strings(passkey.GetProperty("transports")));
        await AssertMessageAsync(page, "passkey-message", "changed", "Added \"Test laptop\". Log out and try \"Sign in with a passkey\".");
        Assert.Equal("", await page.Page.InputValueAsync("#passkey-password"));
        await AssertListedAsync(page, id, "Test laptop", used: false);
        var credential = Assert.Single(await authenticator.CredentialsAsync());
        Assert.Equal(id, Base64Url.EncodeToString(Convert.FromBase64String(credential.GetProperty("credentialId").GetString()!)));
        Assert.True(credential.GetProperty("isResidentCredential").GetBoolean());
        Assert.Equal("localhost", credential.GetProperty("rpId").GetString());
        Assert.Equal(userId, Encoding.UTF8.GetString(Convert.FromBase64String(credential.GetProperty("userHandle").GetString()!)));

        // Signed out, the passkey alone signs in: options that name no account, then a session as a login's (hwk: device-bound).
        AssertStatus(await page.LogoutAsync(), 204);
        Assert.True(await page.Page.IsHiddenAsync("#passkeys-form"));
        var signIn = await PasskeyActionAsync(page, "#passkey-login");
        AssertRequests(signIn, "POST /api/auth/passkeys/login/options", "POST /api/auth/passkeys/login");
        var request = AssertOk(signIn[0]).GetProperty("publicKey");
        Assert.Equal(0, request.GetProperty("allowCredentials").GetArrayLength());
        Assert.Equal("localhost", request.GetProperty("rpId").GetString());
        Assert.Equal("required", request.GetProperty("userVerification").GetString());
        await AssertSignedInAsync(page, signIn[1], email, ["hwk", "mfa"]);
        Assert.Equal("", await page.Page.InnerTextAsync("#passkey-login-message"));
        var verified = await page.VerifyAsync();
        AssertSession(verified, 200, email);
        Assert.Equal(["hwk", "mfa"], Strings(verified.Body!.Value.GetProperty("amr")));
        await AssertListedAsync(page, id, "Test laptop", used: true);
        Assert.True(File.Exists(await Artifacts.ScreenshotAsync(page, "demo-passkey-signed-in")));

        // Signed in with the password only (no second factor checked): Delete asks for the password first.
        AssertStatus(await page.LogoutAsync(), 204);
        await AssertSignedInAsync(page, await page.LoginAsync(email, password), email, ["pwd"]);
        await AssertListedAsync(page, id, "Test laptop", used: true);
        var refused = Assert.Single(await PasskeyActionAsync(page, DeleteButton(id)));
        Assert.Equal("POST /api/auth/passkeys/delete", refused.Request);
        AssertStatus(refused, 400);
        await AssertMessageAsync(page, "passkey-message", "error", FieldError(refused, "password"));
        await page.Page.FillAsync("#passkey-password", password);
        var deleted = Assert.Single(await PasskeyActionAsync(page, DeleteButton(id)));
        AssertStatus(deleted, 204);
        await AssertMessageAsync(page, "passkey-message", "changed",
            "Deleted \"Test laptop\". Remove it from the device's passkeys too (the browser or phone settings).");
        await WaitForPasskeyCountAsync(page, 0);
        Assert.Equal(0, await page.Page.Locator(DeleteButton(id)).CountAsync());

        // The authenticator still offers it; the API no longer takes it, and no session starts.
        AssertStatus(await page.LogoutAsync(), 204);
        Assert.Single(await authenticator.CredentialsAsync());
        var stale = await PasskeyActionAsync(page, "#passkey-login");
        AssertRequests(stale, "POST /api/auth/passkeys/login/options", "POST /api/auth/passkeys/login");
        await AssertPasskeyRejectedAsync(page, stale[1], "This passkey is not registered for this account (it may have been removed).");
    }

    [Fact]
    public async Task APasskeyIsTheSecondStepOfATotpAccount()
    {
        var (page, authenticator) = await OpenWithAuthenticatorAsync(Browser.Demo.SameSiteOrigin, Api.BaseUrl);
        var email = NewEmail();
        var password = NewPassword();
        AssertSession(await page.SignupAsync(email, password), 201, email);
        var (setup, secret) = await page.SetUpTotpAsync(password);
        AssertStatus(setup, 200);
        var (enableCode, enableStep) = await TotpCodes.NowAsync(secret);
        AssertStatus((await page.EnableTotpAsync(enableCode)).Call, 200);
        await page.WaitForTotpStatusAsync(true, 10);

        // TOTP on: the panel asks for a code as well; the password alone is the options' 400 errors.code.
        Assert.False(await page.Page.IsHiddenAsync("#passkey-code-field"));
        await page.Page.FillAsync("#passkey-password", password);
        var noCode = Assert.Single(await PasskeyActionAsync(page, "#passkey-add"));
        AssertStatus(noCode, 400);
        await AssertMessageAsync(page, "passkey-message", "error", FieldError(noCode, "code"));
        Assert.Empty(await authenticator.CredentialsAsync());

        // With a code of a later step (the one enabling it is spent), the default name.
        var (code, _) = await TotpCodes.AfterAsync(secret, enableStep);
        await page.Page.FillAsync("#passkey-code", code);
        var added = await PasskeyActionAsync(page, "#passkey-add");
        AssertRequests(added, "POST /api/auth/passkeys/register/options", "POST /api/auth/passkeys/register");
        var id = AssertOk(added[1]).GetProperty("id").GetString()!;
        Assert.Equal("Passkey", added[1].Body!.Value.GetProperty("name").GetString());
        await AssertListedAsync(page, id, "Passkey", used: false);
        Assert.Equal("", await page.Page.InputValueAsync("#passkey-code"));

        // The password opens the second step, which offers the passkey besides the codes.
        AssertStatus(await page.LogoutAsync(), 204);
        var login = await page.LoginAsync(email, password);
        AssertStatus(login, 200);
        Assert.Equal("mfa_required", login.Body!.Value.GetProperty("status").GetString());
        Assert.Equal(["totp", "passkey", "recovery"], Strings(login.Body.Value.GetProperty("methods")));
        Assert.Equal("mfa-required", await page.SessionStateAsync());
        Assert.Contains("or use a passkey", await page.SessionTextAsync(), StringComparison.Ordinal);
        Assert.False(await page.Page.IsHiddenAsync("#mfa-step-passkey"));
        Assert.Null(await StoredCookieAsync(Context, Api));
        Assert.True(File.Exists(await Artifacts.ScreenshotAsync(page, "demo-passkey-second-step")));

        // "Use a passkey": options limited to this account's passkey, the answer to mfa/verify, signed in with both.
        var step = await PasskeyActionAsync(page, "#mfa-step-passkey");
        AssertRequests(step, "POST /api/auth/mfa/passkey/options", "POST /api/auth/mfa/verify");
        var allowed = Assert.Single(AssertOk(step[0]).GetProperty("publicKey").GetProperty("allowCredentials").EnumerateArray());
        Assert.Equal(id, allowed.GetProperty("id").GetString());
        Assert.Equal("public-key", allowed.GetProperty("type").GetString());
        await AssertSignedInAsync(page, step[1], email, ["pwd", "hwk", "mfa"]);
        Assert.True(await page.Page.IsHiddenAsync("#mfa-step-passkey"));
        Assert.Equal("", await page.Page.InnerTextAsync("#mfa-step-error"));
        var verified = await page.VerifyAsync();
        AssertSession(verified, 200, email);
        Assert.Equal(["pwd", "hwk", "mfa"], Strings(verified.Body!.Value.GetProperty("amr")));
        await AssertListedAsync(page, id, "Passkey", used: true);

        // That second factor was checked just now: Delete needs neither the password nor a code.
        var deleted = Assert.Single(await PasskeyActionAsync(page, DeleteButton(id)));
        AssertStatus(deleted, 204);
        await WaitForPasskeyCountAsync(page, 0);

        // Without a passkey, the second step no longer offers one.
        AssertStatus(await page.LogoutAsync(), 204);
        var again = await page.LoginAsync(email, password);
        Assert.Equal(["totp", "recovery"], Strings(again.Body!.Value.GetProperty("methods")));
        Assert.True(await page.Page.IsHiddenAsync("#mfa-step-passkey"));
    }

    [Fact]
    public async Task APageOnAnOriginNotAllowedForPasskeysIsRefusedAndGetsNoSession()
    {
        // A second localhost origin allowed for CORS and requests (the same page on the demo site's other port), but
        // Auth__Passkeys__Origins names only the demo's: a ceremony there is a phishing page's, as the API sees it.
        var demo = Browser.Demo;
        var origins = string.Join(',', demo.SameSiteOrigin, demo.CrossSiteOrigin, demo.ForeignOrigin);
        await using var api = await ApiServer.StartAsync(Browser, CookieSettings.SameSiteLax, new Dictionary<string, string?>
        {
            ["Auth:AllowedOrigins"] = origins,
            ["Host:CORS"] = origins,
            ["Auth:Passkeys:Origins"] = demo.SameSiteOrigin,
        });
        var (other, authenticator) = await OpenWithAuthenticatorAsync(demo.ForeignOrigin, api.BaseUrl);
        var email = NewEmail();
        var password = NewPassword();
        AssertSession(await other.SignupAsync(email, password), 201, email);

        // Adding there: the browser creates the credential (the RP id localhost suits the page), the API refuses it.
        await other.Page.FillAsync("#passkey-password", password);
        var added = await PasskeyActionAsync(other, "#passkey-add");
        AssertRequests(added, "POST /api/auth/passkeys/register/options", "POST /api/auth/passkeys/register");
        AssertOk(added[0]);
        AssertStatus(added[1], 400);
        Assert.Equal(OriginRefused, FieldError(added[1], "credential"));
        await AssertMessageAsync(other, "passkey-message", "error", OriginRefused);
        await AssertShownAsync(other, added[1]);
        Assert.Single(await authenticator.CredentialsAsync());
        var listed = await other.Page.EvaluateAsync<int>("async () => (await demo.listPasskeys()).body.passkeys.length");
        Assert.Equal(0, listed);

        // The demo's own origin adds it (the same account, still signed in: same site), replacing the authenticator's
        // credential for this account.
        var (page, _) = await DemoPage.OpenAsync(other.Page, demo.SameSiteOrigin, api.BaseUrl);
        await page.Page.FillAsync("#passkey-password", password);
        var registered = await PasskeyActionAsync(page, "#passkey-add");
        AssertRequests(registered, "POST /api/auth/passkeys/register/options", "POST /api/auth/passkeys/register");
        var id = AssertOk(registered[1]).GetProperty("id").GetString()!;
        await AssertListedAsync(page, id, "Passkey", used: false);
        Assert.Single(await authenticator.CredentialsAsync());
        AssertStatus(await page.LogoutAsync(), 204);

        // Signing in there with that passkey: refused, the refusal on the page, and no session.
        (other, var onLoad) = await DemoPage.OpenAsync(page.Page, demo.ForeignOrigin, api.BaseUrl);
        AssertUnauthorized(onLoad);
        var signIn = await PasskeyActionAsync(other, "#passkey-login");
        AssertRequests(signIn, "POST /api/auth/passkeys/login/options", "POST /api/auth/passkeys/login");
        await AssertPasskeyRejectedAsync(other, signIn[1], OriginRefused);

        // On 127.0.0.1 (allowed for CORS) the browser itself refuses the RP id localhost: no answer reaches the API.
        var (ip, _) = await DemoPage.OpenAsync(other.Page, demo.CrossSiteOrigin, api.BaseUrl);
        var ipSignIn = Assert.Single(await PasskeyActionAsync(ip, "#passkey-login"));
        Assert.Equal("POST /api/auth/passkeys/login/options", ipSignIn.Request);
        AssertStatus(ipSignIn, 200);
        Assert.Equal("SecurityError", await ip.Page.EvaluateAsync<string>("() => demo.authenticatorError"));
        await AssertMessageAsync(ip, "passkey-login-message", "error",
            "This page (127.0.0.1) cannot use passkeys for localhost: open it on localhost or a subdomain of it (Auth__Passkeys__RpId).");

        // The same passkey on the demo's origin signs in: it was the origin that was refused.
        (page, _) = await DemoPage.OpenAsync(ip.Page, demo.SameSiteOrigin, api.BaseUrl);
        var allowed = await PasskeyActionAsync(page, "#passkey-login");
        AssertRequests(allowed, "POST /api/auth/passkeys/login/options", "POST /api/auth/passkeys/login");
        AssertSession(allowed[1], 200, email);
        Assert.Equal(["hwk", "mfa"], Strings(allowed[1].Body!.Value.GetProperty("amr")));
        Assert.Equal("signed-in", await page.SessionStateAsync());
        Assert.NotNull(await StoredCookieAsync(Context, api));
    }

    /// <summary>A tab with Chromium's virtual authenticator attached, then the demo page in it (its verify on load: not signed in).</summary>
    private async Task<(DemoPage Page, VirtualAuthenticator Authenticator)> OpenWithAuthenticatorAsync(string origin, string apiBase)
    {
        var tab = await Context.NewPageAsync();
        var authenticator = await VirtualAuthenticator.AttachAsync(Context, tab);
        var (page, onLoad) = await DemoPage.OpenAsync(tab, origin, apiBase);
        AssertUnauthorized(onLoad);
        return (page, authenticator);
    }

    /// <summary>
    /// Clicks one of the page's passkey controls and waits until its action finished (demo.actions): the requests the
    /// browser client made for it, in order, each as the page got it (demo.exchanges records every fetch of the client).
    /// Only the action's own POSTs: the lists the page reads again afterwards (GETs) and a renewal are not the action.
    /// </summary>
    private static async Task<ApiCall[]> PasskeyActionAsync(DemoPage page, string selector)
    {
        await page.Page.BringToFrontAsync();
        var before = await page.Page.EvaluateAsync<int[]>("() => [demo.actions, demo.exchanges.length]");
        await page.Page.ClickAsync(selector);
        await page.Page.WaitForFunctionAsync("n => demo.actions > n", before[0]);
        var json = await page.Page.EvaluateAsync<string>(
            "n => JSON.stringify(demo.exchanges.slice(n).filter(c => c.request.startsWith('POST ') && c.request !== 'POST /api/auth/refresh')"
            + ".map(c => ({ request: c.request, status: c.status, body: c.body ?? null, error: c.error ?? null })))",
            before[1]);
        return JsonSerializer.Deserialize<ApiCall[]>(json, JsonSerializerOptions.Web)!;
    }

    private static string DeleteButton(string id) => $"#passkeys-list li[data-id=\"{id}\"] .passkey-delete";

    private static void AssertRequests(ApiCall[] calls, params string[] requests) =>
        Assert.True(calls.Select(call => call.Request).SequenceEqual(requests), $"expected {string.Join(", ", requests)}: {string.Join("; ", calls.Select(call => call.ToString()))}");

    private static JsonElement AssertOk(ApiCall call)
    {
        AssertStatus(call, 200);
        return call.Body!.Value;
    }

    /// <summary>A passkey sign-in, the second step or a login signed in: the body and the page both say who, and how; the passkeys panel shows; the cookie is stored.</summary>
    private async Task AssertSignedInAsync(DemoPage page, ApiCall call, string email, string[] amr)
    {
        await AssertSignedInShownAsync(page, call, email, amr);
        Assert.False(await page.Page.IsHiddenAsync("#passkeys-form"));
        await AssertStoredAsync(Context, Api);
    }

    /// <summary>A passkey sign-in refused: 401 passkey_rejected with <paramref name="detail"/>, shown under the button and in "Last response"; verify stays 401.</summary>
    private static async Task AssertPasskeyRejectedAsync(DemoPage page, ApiCall call, string detail)
    {
        AssertUnauthorized(call);
        Assert.Equal("passkey_rejected", call.Body!.Value.GetProperty("code").GetString());
        Assert.Equal(detail, call.Body.Value.GetProperty("detail").GetString());
        await AssertMessageAsync(page, "passkey-login-message", "error", $"401: {detail}");
        await AssertShownAsync(page, call);
        Assert.NotEqual("signed-in", await page.SessionStateAsync());
        AssertUnauthorized(await page.VerifyAsync());
        Assert.Equal("signed-out", await page.SessionStateAsync());
        Assert.DoesNotContain(await page.Page.Context.CookiesAsync(), cookie => cookie.Name == CookieSettings.SameSiteLax.CookieName || cookie.Name == CookieSettings.SameSiteLax.RefreshCookieName);
    }

    /// <summary>"Last response" shows this call: its status and its body.</summary>
    private static async Task AssertShownAsync(DemoPage page, ApiCall call)
    {
        Assert.Equal(call.Status?.ToString(System.Globalization.CultureInfo.InvariantCulture), await page.Page.GetAttributeAsync("#result-status", "data-status"));
        using var shown = JsonDocument.Parse(await page.Page.InnerTextAsync("#result-body"));
        Assert.True(JsonElement.DeepEquals(call.Body!.Value, shown.RootElement), $"shown: {shown.RootElement}; got: {call.Body}");
    }

    /// <summary>The list shows this passkey: its name, whether used, device-bound, with a Delete button.</summary>
    private static async Task AssertListedAsync(DemoPage page, string id, string name, bool used)
    {
        await WaitForPasskeyCountAsync(page, 1);
        var item = page.Page.Locator($"#passkeys-list li[data-id=\"{id}\"]");
        Assert.Equal(name, await item.Locator(".passkey-name").InnerTextAsync());
        var text = await item.InnerTextAsync();
        Assert.Contains(used ? "last used " : "not used yet", text, StringComparison.Ordinal);
        Assert.Contains("this device only (hwk)", text, StringComparison.Ordinal);
        Assert.Equal("Delete", await item.Locator(".passkey-delete").InnerTextAsync());
    }

    private static async Task WaitForPasskeyCountAsync(DemoPage page, int count) =>
        await page.Page.WaitForFunctionAsync("n => document.getElementById('passkeys-list').dataset.count === String(n)", count);

    private static async Task AssertMessageAsync(DemoPage page, string id, string state, string expected)
    {
        var (shownState, text) = await page.MessageAsync(id);
        Assert.Equal(state, shownState);
        Assert.Equal(expected, text);
    }

    /// <summary>The problem+json message for one field (errors.&lt;field&gt;), as one line.</summary>
    private static string FieldError(ApiCall call, string field)
    {
        Assert.True(call.Body!.Value.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out _), $"expected errors.{field}: {call}");
        return string.Join(' ', Strings(errors.GetProperty(field)));
    }

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(item => item.GetString()!)];

    /// <summary>
    /// Chromium's DevTools virtual authenticator in one tab (it stays through the tab's navigations): CTAP2, internal
    /// (a platform authenticator), discoverable credentials, user verification that succeeds, presence without a touch.
    /// </summary>
    private sealed class VirtualAuthenticator(ICDPSession cdp, string id)
    {
        public static async Task<VirtualAuthenticator> AttachAsync(IBrowserContext context, IPage tab)
        {
            var cdp = await context.NewCDPSessionAsync(tab);
            await cdp.SendAsync("WebAuthn.enable", new Dictionary<string, object> { ["enableUI"] = false });
            var added = await cdp.SendAsync("WebAuthn.addVirtualAuthenticator", new Dictionary<string, object>
            {
                ["options"] = new Dictionary<string, object>
                {
                    ["protocol"] = "ctap2",
                    ["transport"] = "internal",
                    ["hasResidentKey"] = true,
                    ["hasUserVerification"] = true,
                    ["isUserVerified"] = true,
                    ["automaticPresenceSimulation"] = true,
                },
            });
            return new VirtualAuthenticator(cdp, added!.Value.GetProperty("authenticatorId").GetString()!);
        }

        /// <summary>The credentials it holds (credentialId, rpId, userHandle base64; isResidentCredential, signCount).</summary>
        public async Task<JsonElement[]> CredentialsAsync()
        {
            var result = await cdp.SendAsync("WebAuthn.getCredentials", new Dictionary<string, object> { ["authenticatorId"] = id });
            return [.. result!.Value.GetProperty("credentials").EnumerateArray().Select(credential => credential.Clone())];
        }
    }
}
