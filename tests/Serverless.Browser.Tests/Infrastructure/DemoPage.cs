using System.Text.Json;
using Microsoft.Playwright;

namespace Serverless.Browser.Tests.Infrastructure;

/// <summary>What the demo page's fetch produced: a status and JSON body, or the error fetch rejected with.</summary>
public sealed record ApiCall(string Request, int? Status, JsonElement? Body, string? Error)
{
    public override string ToString() => Status is null ? $"{Request} -> {Error}" : $"{Request} -> {Status} {Body}";
}

/// <summary>
/// Drives tests/demo in a browser tab the way a person does (fill the form, click the button) and reads
/// what the page's own JavaScript got back. No request here comes from C#.
/// </summary>
public sealed class DemoPage
{
    private DemoPage(IPage page) => Page = page;

    public IPage Page { get; }

    /// <summary>Opens the page; it verifies the session on load, and that first call is returned too.</summary>
    public static async Task<(DemoPage Page, ApiCall OnLoad)> OpenAsync(IBrowserContext context, string origin, string apiBase) =>
        await OpenAsync(await context.NewPageAsync(), origin, apiBase);

    /// <summary>Navigates a tab prepared by the caller (e.g. with a DevTools session attached) to the page.</summary>
    public static async Task<(DemoPage Page, ApiCall OnLoad)> OpenAsync(IPage tab, string origin, string apiBase)
    {
        var page = new DemoPage(tab);
        await tab.GotoAsync(DemoSite.PageUrl(origin, apiBase));
        return (page, await page.WaitForCallAsync(0));
    }

    /// <summary>
    /// Opens a link from a mail (/auth/confirm, /auth/reset, /auth/email-change, /auth/forgot on the demo site) in a
    /// new tab of <paramref name="context"/>, as a click in a mail client does; nothing waits for a call.
    /// </summary>
    public static async Task<DemoPage> OpenLinkAsync(IBrowserContext context, string url)
    {
        var tab = await context.NewPageAsync();
        await tab.GotoAsync(url);
        await tab.WaitForFunctionAsync("() => window.demo !== undefined");
        return new DemoPage(tab);
    }

    /// <summary>Follows a link of the page to the demo page and returns the verify it makes on load.</summary>
    public async Task<ApiCall> FollowToDemoPageAsync(string selector)
    {
        var from = Page.Url;
        await Page.ClickAsync(selector);
        // Committed is enough: the verify the page makes on load is what the caller waits for (waiting for
        // the load event as well once timed out on a busy machine with the page long loaded).
        await Page.WaitForURLAsync(url => url != from, new() { WaitUntil = WaitUntilState.Commit });
        return await WaitForCallAsync(0);
    }

    public Task<ApiCall> SignupAsync(string email, string password) => ActAsync(async () =>
    {
        await Page.FillAsync("#signup-email", email);
        await Page.FillAsync("#signup-password", password);
        await Page.ClickAsync("#signup");
    });

    public Task<ApiCall> LoginAsync(string email, string password) => ActAsync(async () =>
    {
        await Page.FillAsync("#login-email", email);
        await Page.FillAsync("#login-password", password);
        await Page.ClickAsync("#login");
    });

    public Task<ApiCall> VerifyAsync() => ActAsync(() => Page.ClickAsync("#verify"));

    public Task<ApiCall> ForgotPasswordAsync(string email) => ActAsync(async () =>
    {
        await Page.FillAsync("#forgot-email", email);
        await Page.ClickAsync("#forgot");
    });

    /// <summary>Signed in: fills the Change email form (new address, current password) and submits it.</summary>
    public Task<ApiCall> ChangeEmailAsync(string newEmail, string password) => ActAsync(async () =>
    {
        await Page.FillAsync("#change-email-new", newEmail);
        await Page.FillAsync("#change-email-password", password);
        await Page.ClickAsync("#change-email");
    });

    /// <summary>Adds a note through the sample protected API (POST /api/me/notes); the page then lists the notes again (the call returned is either).</summary>
    public Task<ApiCall> AddNoteAsync(string text) => ActAsync(async () =>
    {
        await Page.FillAsync("#note-text", text);
        await Page.ClickAsync("#add-note");
    });

    /// <summary>The notes the page lists, in order, once it shows <paramref name="count"/> of them.</summary>
    public async Task<IReadOnlyList<string>> NotesAsync(int count)
    {
        await Page.WaitForFunctionAsync($"() => document.querySelectorAll('#notes-list li').length === {count}");
        return await Page.Locator("#notes-list li").AllInnerTextsAsync();
    }

    /// <summary>On the page a reset link opened: types the new password and submits it.</summary>
    public Task<ApiCall> ResetPasswordAsync(string newPassword) => ActAsync(async () =>
    {
        await Page.FillAsync("#reset-password", newPassword);
        await Page.ClickAsync("#reset");
    });

    /// <summary>The call a page made by itself on load (the confirm and email-change pages post their token), once it has answered.</summary>
    public Task<ApiCall> FirstCallAsync() => WaitForCallAsync(0);

    /// <summary>A status line (e.g. forgot-message, reset-message, change-email-password-error): its data-state and its text.</summary>
    public async Task<(string? State, string Text)> MessageAsync(string id) =>
        (await Page.GetAttributeAsync("#" + id, "data-state"), await Page.InnerTextAsync("#" + id));

    /// <summary>Clicks a control of the page that makes one API call (e.g. a list's Unlink, a Link button) and returns that call.</summary>
    public Task<ApiCall> ClickAsync(string selector) => ActAsync(() => Page.ClickAsync(selector));

    /// <summary>Waits until a status line says something in <paramref name="state"/> (e.g. error, changed) and returns its text.</summary>
    public async Task<string> WaitForMessageAsync(string id, string state)
    {
        await Page.WaitForFunctionAsync("([id, state]) => document.getElementById(id).dataset.state === state", new object[] { id, state }, new() { PollingInterval = 50 });
        return await Page.InnerTextAsync("#" + id);
    }

    public Task<ApiCall> LogoutAsync() => ActAsync(() => Page.ClickAsync("#logout"));

    public Task<ApiCall> LogoutAllAsync() => ActAsync(() => Page.ClickAsync("#logout-all"));

    public Task<ApiCall> SessionsAsync() => ActAsync(() => Page.ClickAsync("#sessions"));

    /// <summary>The status of the one refresh the last call made after a 401, or null when it made none.</summary>
    public Task<int?> LastRefreshAsync() => Page.EvaluateAsync<int?>("() => demo.last.refreshed ?? null");

    /// <summary>Reloads the tab; returns the verify the page makes on load.</summary>
    public async Task<ApiCall> ReloadAsync()
    {
        await Page.BringToFrontAsync();
        await Page.ReloadAsync();
        return await WaitForCallAsync(0);
    }

    /// <summary>What scripts on the page can read, both from JS and from the line the page shows.</summary>
    public async Task<(string Script, string Shown)> DocumentCookieAsync() =>
        (await Page.EvaluateAsync<string>("() => document.cookie"), await Page.InnerTextAsync("#document-cookie"));

    public Task<string?> SessionStateAsync() => Page.GetAttributeAsync("#session", "data-state");

    public Task<string> SessionTextAsync() => Page.InnerTextAsync("#session");

    public Task<string> ApiBaseAsync() => Page.EvaluateAsync<string>("() => demo.apiBase()");

    /// <summary>Two-factor panel: set up with the password; the call and the secret the page shows.</summary>
    public async Task<(ApiCall Call, string Secret)> SetUpTotpAsync(string password)
    {
        var call = await ActAsync(async () =>
        {
            await Page.FillAsync("#mfa-password", password);
            await Page.ClickAsync("#mfa-setup");
        });
        return (call, await Page.InnerTextAsync("#mfa-secret"));
    }

    /// <summary>Two-factor panel: enable with a code; the call and the recovery codes the page lists.</summary>
    public async Task<(ApiCall Call, IReadOnlyList<string> RecoveryCodes)> EnableTotpAsync(string code)
    {
        var call = await ActAsync(async () =>
        {
            await Page.FillAsync("#mfa-code", code);
            await Page.ClickAsync("#mfa-enable");
        });
        return (call, await Page.Locator("#mfa-recovery-codes li").AllInnerTextsAsync());
    }

    public Task<ApiCall> DisableTotpAsync(string password, string code) => ActAsync(async () =>
    {
        await Page.FillAsync("#mfa-password", password);
        await Page.FillAsync("#mfa-code", code);
        await Page.ClickAsync("#mfa-disable");
    });

    /// <summary>The second step of a sign-in with a code from the app (the form's first field).</summary>
    public Task<ApiCall> SecondStepAsync(string code) => ActAsync(async () =>
    {
        await Page.FillAsync("#mfa-step-code", code);
        await Page.ClickAsync("#mfa-step");
    });

    /// <summary>The second step with a recovery code: follows the form's "Use a recovery code" link first, unless it already asks for one.</summary>
    public Task<ApiCall> SecondStepWithRecoveryCodeAsync(string recoveryCode) => ActAsync(async () =>
    {
        if (await Page.IsHiddenAsync("#mfa-step-recovery"))
        {
            await Page.ClickAsync("#mfa-step-switch");
        }

        await Page.FillAsync("#mfa-step-recovery", recoveryCode);
        await Page.ClickAsync("#mfa-step");
    });

    /// <summary>Waits until the panel shows, from GET /api/auth/mfa, TOTP <paramref name="totp"/> with <paramref name="recoveryCodesLeft"/> codes left.</summary>
    public Task WaitForTotpStatusAsync(bool totp, int recoveryCodesLeft) =>
        Page.WaitForFunctionAsync(
            "([on, left]) => { const d = document.getElementById('mfa-status').dataset; return d.totp === String(on) && d.recoveryCodesLeft === String(left); }",
            new object[] { totp, recoveryCodesLeft });

    /// <summary>
    /// Acts in this tab as a user would: in front. A tab left behind another gets its animation frames
    /// throttled, and waiting for the page's answer polls on them (seconds per call in the background).
    /// </summary>
    private async Task<ApiCall> ActAsync(Func<Task> act)
    {
        await Page.BringToFrontAsync();
        var before = await Page.EvaluateAsync<int>("() => demo.seq");
        await act();
        return await WaitForCallAsync(before);
    }

    private async Task<ApiCall> WaitForCallAsync(int after)
    {
        try
        {
            // Polled on a timer, not on animation frames: a tab a busy machine left in the background gets no frames.
            await Page.WaitForFunctionAsync("n => window.demo !== undefined && window.demo.seq > n", after, new() { PollingInterval = 50 });
        }
        catch (TimeoutException timeout)
        {
            // What the page was doing, for the failure's message: its visibility, session line and last requests.
            var state = await Page.EvaluateAsync<string>(
                "() => JSON.stringify({ visibility: document.visibilityState, seq: window.demo?.seq, session: document.getElementById('session')?.innerText, "
                + "exchanges: (window.demo?.exchanges ?? []).slice(-5).map(x => `${x.request} -> ${x.status ?? x.error}`) })");
            throw new TimeoutException($"No call answered after #{after}: {state}", timeout);
        }

        var json = await Page.EvaluateAsync<string>("() => JSON.stringify(demo.last)");
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var status = root.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt32() : (int?)null;
        JsonElement? body = root.TryGetProperty("body", out var b) && b.ValueKind != JsonValueKind.Null ? b.Clone() : null;
        var error = root.TryGetProperty("error", out var e) ? e.GetString() : null;
        return new ApiCall(root.GetProperty("request").GetString()!, status, body, error);
    }
}
