using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Serverless.Auth.Accounts;
using Serverless.Auth.Email;
using Serverless.Auth.Events;
using Serverless.Auth.Http;
using Serverless.Auth.Mfa;
using Serverless.Auth.Sessions;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Oidc;

/// <summary>
/// Social sign-in. The session is never set by a redirect: cookies set on a top-level navigation to the API land in the
/// API's own partition, invisible to a cross-site frontend's requests. So the start and the callback are navigations that
/// carry the flow (state cookie, provider, one-time code), and the frontend's own credentialed request exchanges the code
/// for the session, in its partition, proving it holds the verifier it started with.
/// </summary>
internal sealed partial class OidcEndpoints(
    OidcClient client,
    OidcFlowCookie flows,
    OidcTickets tickets,
    OidcAccounts resolver,
    OidcIdentities identities,
    UserRepository users,
    BrowserSignIn browser,
    Authenticator authenticator,
    PendingSignIns pending,
    AuthEvents events,
    AuthMount mount,
    TimeProvider time,
    IOptions<OidcOptions> options,
    OriginCheck origins,
    IOptions<EmailOptions> email,
    ILogger<OidcEndpoints> logger)
{
    private const int MaxReturnToLength = 2048;
    private readonly string? redirectBaseUrl = options.Value.RedirectBaseUrl is { Length: > 0 } url ? url.TrimEnd('/') : null;
    private readonly bool requireConfirmed = email.Value.RequireConfirmed;

    public static readonly EndpointDeclaration Providers = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Social sign-in providers",
            Description = "The configured OpenID Connect providers, for the frontend's buttons: name (in the routes) and display name. Empty when none is configured.",
            ChecksOrigin = false,
        },
        static (OidcEndpoints endpoint, EndpointRequest<NoBody> request) => endpoint.ProvidersAsync());

    public static readonly EndpointDeclaration Start = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Start a social sign-in",
            Description = "A top-level navigation from the frontend: returnTo (a page under an allowed origin) and codeChallenge (base64url(SHA-256) of a "
                + "random verifier the frontend keeps) as query parameters. Answers 302 to the provider's authorization endpoint (code flow, state, nonce, "
                + "PKCE S256) and sets the flow's cookie (HttpOnly, SameSite=Lax, encrypted, 10 minutes, Path = the provider's callback route). "
                + "A link ticket (link=, from POST /api/auth/oidc/{provider}/link) makes it a linking flow instead. 400 for a returnTo outside the "
                + "allowed origins (no open redirect) or a missing challenge; 404 for an unknown provider.",
            ChecksOrigin = false,
            RateLimit = RateLimitedAction.Credentials,
            Answers = [StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound],
            Redirects = true,
            Query =
            [
                ("returnTo", "The frontend page to come back to: an absolute URL under an origin in Auth__AllowedOrigins, no fragment."),
                ("codeChallenge", "base64url(SHA-256(verifier)), 43 characters; the verifier (43-128 random characters) stays with the frontend for the exchange."),
                ("link", "A link ticket from POST /api/auth/oidc/{provider}/link instead of codeChallenge: links the identity to that account."),
            ],
        },
        static (OidcEndpoints endpoint, EndpointRequest<NoBody> request) => endpoint.StartAsync(request));

    public static readonly EndpointDeclaration Callback = EndpointDeclaration.For(
        new Operation
        {
            Summary = "The provider's return (redirect URI)",
            Description = "Register <base>/api/auth/oidc/{provider}/callback at the provider. Checks the state against the flow's cookie (then clears it), "
                + "redeems the code (client secret, PKCE), validates the ID token, resolves the account (docs/social-sign-in.md, the linking rules) and "
                + "answers 302 to returnTo?code=<one-time code> (60 s, single use, bound to the frontend's challenge): no session cookie, no token in a URL. "
                + "Linking answers a link code the same way. Failures answer returnTo?error=<code> (state_mismatch, access_denied, provider_error, "
                + "provider_unavailable, invalid_id_token, email_required, account_exists, identity_in_use, provider_already_linked, account_gone, "
                + "link_expired, try_again); without a flow cookie, 400 problem+json.",
            ChecksOrigin = false,
            RateLimit = RateLimitedAction.Credentials,
            Answers = [StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound],
            Redirects = true,
            Query =
            [
                ("code", "The provider's authorization code."),
                ("state", "The state the start sent."),
                ("error", "The provider's error, instead of a code."),
            ],
        },
        static (OidcEndpoints endpoint, EndpointRequest<NoBody> request) => endpoint.CallbackAsync(request));

    public static readonly EndpointDeclaration Exchange = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Finish a social sign-in",
            Description = "The frontend's credentialed request with the one-time code from its return URL and its verifier: starts the session as a login "
                + "does (cookies, 200 with the session; amr [\"fed\"]), or, for an account with TOTP, answers status mfa_required and the second step "
                + "follows (amr [\"fed\",\"otp\",\"mfa\"]...): the provider's own methods are never taken as a second factor. A link flow's code is "
                + "confirmed here by the account's own session (its access token): 200 status linked, 409 with code identity_in_use, "
                + "provider_already_linked or link_expired. A sign-in code signs in only an account that still holds the provider's link; when the "
                + "account the callback found no longer does (unlinked since, or a stale row), the identity is resolved again here as the callback "
                + "would: a new account, or 409 with the callback's error code (account_exists, email_required, try_again). 400 errors.code for an "
                + "unknown, expired or used code, a wrong verifier, or a link code without its account's session (the code is spent either way).",
            RateLimit = RateLimitedAction.Credentials,
            Answers = [StatusCodes.Status401Unauthorized, StatusCodes.Status409Conflict],
        },
        static (OidcEndpoints endpoint, EndpointRequest<OidcExchangeRequest> request) => endpoint.ExchangeAsync(request));

    public static readonly EndpointDeclaration Link = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Link a provider to my account",
            Description = "Re-authentication (the password, and a code with TOTP on, unless this session's last second-factor check or, for an account "
                + "without a password, its provider sign-in is within Auth__Mfa__StepUpSeconds), then {url}: a start URL with a single-use link ticket "
                + "(5 minutes) to navigate to; codeChallenge is base64url(SHA-256) of a verifier the page keeps. The callback returns to "
                + "returnTo?code=<link code>, which this session confirms at POST /api/auth/oidc/exchange with the verifier: only then is the identity "
                + "linked (a start URL followed by someone else links nothing). An identity that is another account's is refused (identity_in_use). "
                + "404 for an unknown provider.",
            RateLimit = RateLimitedAction.Credentials,
            RequiresSession = true,
            Answers = [StatusCodes.Status404NotFound, StatusCodes.Status409Conflict],
        },
        static (OidcEndpoints endpoint, EndpointRequest<OidcLinkRequest> request) => endpoint.LinkAsync(request));

    public static readonly EndpointDeclaration Identities = EndpointDeclaration.For(
        new Operation
        {
            Summary = "My linked providers",
            Description = "The provider identities that sign this account in: provider, display name, the address the provider gave, when linked and last used.",
            ChecksOrigin = false,
            RequiresSession = true,
        },
        static (OidcEndpoints endpoint, EndpointRequest<NoBody> request) => endpoint.IdentitiesAsync(request));

    public static readonly EndpointDeclaration Unlink = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Unlink a provider",
            Description = "Removes the provider's identity from this account. 409 when it is the last way to sign in (no password, no passkey, no other "
                + "provider); 404 when none of that provider is linked.",
            RateLimit = RateLimitedAction.Credentials,
            RequiresSession = true,
            Answers = [StatusCodes.Status404NotFound, StatusCodes.Status409Conflict],
        },
        static (OidcEndpoints endpoint, EndpointRequest<IdentityUnlinkRequest> request) => endpoint.UnlinkAsync(request));

    public Task<Ok<OidcProviderInfo[]>> ProvidersAsync() =>
        Task.FromResult(TypedResults.Ok(client.Providers.OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => new OidcProviderInfo(p.Name, p.DisplayName)).ToArray()));

    public async Task<Results<RedirectHttpResult, ProblemHttpResult>> StartAsync(EndpointRequest<NoBody> request)
    {
        var context = request.Context;
        if (ProviderOf(context) is not { } provider)
        {
            return UnknownProvider();
        }

        var query = context.Request.Query;
        if (ReturnToProblem(query["returnTo"].ToString(), out var returnTo) is { } badReturnTo)
        {
            return badReturnTo;
        }

        var (linkUserId, linkStamp) = ("", "");
        var challenge = query["codeChallenge"].ToString();
        if (query["link"].ToString() is { Length: > 0 } linkTicket)
        {
            if (await tickets.RedeemLinkAsync(linkTicket, request.Aborted) is not { } ticket)
            {
                return Redirect(returnTo, "error", "link_expired");
            }

            (linkUserId, linkStamp, challenge) = (ticket.UserId, ticket.PasswordStamp, ticket.Challenge);
        }
        else if (!IsChallenge(challenge))
        {
            return Problems.Invalid("codeChallenge", "codeChallenge must be base64url(SHA-256(verifier)): 43 characters, where the verifier is 43-128 random characters the frontend keeps.");
        }

        var flow = new OidcFlow(
            provider.Name, Random(), Random(), Random(), returnTo, challenge, linkUserId, RedirectUri(context, provider), time.GetUtcNow().ToUnixTimeMilliseconds(), linkStamp);
        string authorizationUrl;
        try
        {
            authorizationUrl = await client.AuthorizationUrlAsync(provider, flow.RedirectUri, flow.State, flow.Nonce, flow.CodeVerifier, request.Aborted);
        }
        catch (OidcFailure failure)
        {
            LogFailed(logger, provider.Name, failure.Code, failure.Message);
            return Redirect(returnTo, "error", failure.Code);
        }

        flows.Write(context.Response, flow);
        return TypedResults.Redirect(authorizationUrl);
    }

    public async Task<Results<RedirectHttpResult, ProblemHttpResult>> CallbackAsync(EndpointRequest<NoBody> request)
    {
        var context = request.Context;
        if (ProviderOf(context) is not { } provider)
        {
            return UnknownProvider();
        }

        // Single use: the flow's cookie goes whatever happens next.
        var flow = flows.Read(context.Request, provider.Name);
        flows.Clear(context.Response, provider.Name);
        if (flow is null)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status400BadRequest, title: "No sign-in to finish.",
                detail: "This browser has no social sign-in in progress (it expired after 10 minutes, finished already, or started elsewhere). Start again from the app.",
                extensions: new Dictionary<string, object?> { ["code"] = "state_missing" });
        }

        var query = context.Request.Query;
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(query["state"].ToString()), Encoding.UTF8.GetBytes(flow.State)))
        {
            return Redirect(flow.ReturnTo, "error", "state_mismatch");
        }

        if (query["error"].ToString() is { Length: > 0 } providerError)
        {
            return Redirect(flow.ReturnTo, "error", providerError == "access_denied" ? "access_denied" : "provider_error");
        }

        if (query["code"].ToString() is not { Length: > 0 and <= 2048 } code)
        {
            return Redirect(flow.ReturnTo, "error", "provider_error");
        }

        OidcOutcome outcome;
        ProviderIdentity? identity = null;
        try
        {
            identity = await client.RedeemAsync(provider, code, flow.RedirectUri, flow.CodeVerifier, flow.Nonce, request.Aborted);
            LogProviderMethods(logger, provider.Name, identity.Amr);
            outcome = await resolver.ResolveAsync(context, provider, identity, flow.LinkUserId, request.Aborted);
        }
        catch (OidcFailure failure)
        {
            outcome = new OidcOutcome.Failed(failure.Code);
            LogFailed(logger, provider.Name, failure.Code, failure.Message);
        }

        switch (outcome)
        {
            case OidcOutcome.SignIn(var userId):
                // Sealed, not stored: the exchange spends it (and records the link's use) with writes it makes anyway.
                return Redirect(flow.ReturnTo, "code", tickets.IssueSignIn(userId, provider.Name, flow.FrontendChallenge, identity!));
            case OidcOutcome.LinkPending(var pendingIdentity):
                return Redirect(flow.ReturnTo, "code", tickets.IssueLink(flow.LinkUserId, provider.Name, flow.FrontendChallenge, pendingIdentity, flow.LinkStamp));
            case OidcOutcome.Failed(var failed):
                return Redirect(flow.ReturnTo, "error", failed);
            default:
                return Redirect(flow.ReturnTo, "error", "try_again");
        }
    }

    public async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> ExchangeAsync(EndpointRequest<OidcExchangeRequest> request)
    {
        var (context, body) = (request.Context, request.Body);
        if (tickets.OpenSignIn(body.Code!) is not { } code)
        {
            return InvalidCode();
        }

        if (code.IsLink)
        {
            return await ConfirmLinkAsync(request, code);
        }

        // Spent whether or not the verifier matches (a code is tried once), while the account and its link row are read.
        // The session's start time is taken before that read, so it stands for the one every sign-in makes as its session
        // starts (a disable it missed was written later, and its cut-off ends the session).
        var readSince = time.GetUtcNow();
        var spending = tickets.TrySpendAsync(body.Code!, code, request.Aborted);
        var reading = identities.FindLinkAsync(code.UserId, code.Provider, request.Aborted);
        await Task.WhenAll(spending, reading);
        if (!await spending || !OidcTickets.Matches(body.CodeVerifier!, code.Challenge))
        {
            return InvalidCode();
        }

        var (account, link) = await reading;
        if (!OidcIdentities.SignsIn(account, link, code.Subject))
        {
            // The identity's row named an account that does not hold its link (stale, or unlinked since the callback).
            var outcome = client.Find(code.Provider) is not { } provider ? new OidcOutcome.Failed("provider_error")
                : await resolver.ResolveStaleAsync(context, provider, code.Identity, request.Aborted);
            if (outcome is not OidcOutcome.SignIn(var userId))
            {
                return NotSignedIn(outcome);
            }

            readSince = time.GetUtcNow();
            account = await users.FindByIdAsync(userId, emailHint: null, request.Aborted);
            if (account is null)
            {
                return NotSignedIn(new OidcOutcome.Failed("try_again"));
            }
        }

        if (account.Disabled)
        {
            return Problems.AccountDisabled();
        }

        if (requireConfirmed && !account.EmailConfirmed)
        {
            return Problems.EmailNotConfirmed();
        }

        var remember = body.Remember ?? true;
        if (account.Mfa.TotpEnabled)
        {
            var stepExpiresAt = pending.Issue(context.Response, account, remember, firstFactor: "fed");
            return TypedResults.Ok(SessionResponse.SecondStep(account.SecondStepMethods, stepExpiresAt));
        }

        // An account without a password re-authenticates for sensitive changes with a fresh provider sign-in: it counts like a second-factor check.
        var recording = identities.RecordUseAsync(account.UserId, code.Provider, request.Aborted);
        var signedIn = await browser.StartCheckedNowAsync(
            context, account, remember, Amr.Federated, account.HasPassword ? null : time.GetUtcNow(), request.Aborted, readSince);
        await recording;
        browser.Append(context.Response, account, signedIn);
        await events.RaiseAsync(context, AuthEventKind.SignedIn, account.UserId, signedIn.Issued.Session.SessionId, "oidc:" + code.Provider);
        return TypedResults.Ok(SessionResponse.For(signedIn.Issued.Access.Subject));
    }

    /// <summary>
    /// A link code, exchanged by the account's own session with the verifier its page kept: only then is the identity
    /// linked (a start URL followed by someone else links nothing to the account that asked).
    /// </summary>
    private async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> ConfirmLinkAsync(EndpointRequest<OidcExchangeRequest> request, SignInCode code)
    {
        var spending = tickets.TrySpendAsync(request.Body.Code!, code, request.Aborted);
        var caller = await authenticator.AuthenticateAsync(request.Context);
        if (!await spending || !OidcTickets.Matches(request.Body.CodeVerifier!, code.Challenge) || caller?.UserId != code.UserId)
        {
            return InvalidCode();
        }

        var outcome = client.Find(code.Provider) is not { } provider ? new OidcOutcome.Failed("provider_error")
            : await resolver.CompleteLinkAsync(provider, code.Identity, code.UserId, code.PasswordStamp!, request.Aborted);
        if (outcome is OidcOutcome.Linked)
        {
            await events.RaiseAsync(request.Context, AuthEventKind.OidcLinked, code.UserId, caller.SessionId, code.Provider);
            return TypedResults.Ok(SessionResponse.For(caller) with { Status = SessionResponse.Linked });
        }

        return TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict, title: "The provider was not linked.",
                detail: "The identity is another account's, the account has another of that provider linked, or its password changed since the link was asked for.",
                extensions: new Dictionary<string, object?> { ["code"] = outcome is OidcOutcome.Failed(var failed) ? failed : "try_again" });
    }

    public async Task<Results<Ok<OidcLinkResponse>, ProblemHttpResult>> LinkAsync(EndpointRequest<OidcLinkRequest> request)
    {
        var context = request.Context;
        if (ProviderOf(context) is not { } provider)
        {
            return UnknownProvider();
        }

        if (ReturnToProblem(request.Body.ReturnTo, out var returnTo) is { } badReturnTo)
        {
            return badReturnTo;
        }

        if (!IsChallenge(request.Body.CodeChallenge ?? ""))
        {
            return Problems.Invalid("codeChallenge", "codeChallenge must be base64url(SHA-256(verifier)): the page keeps the verifier and confirms the link with it.");
        }

        var (account, problem) = await Reauthentication.RecentOrPasswordAsync(context, request.Subject, request.Body.Password, request.Body);
        if (problem is not null)
        {
            return problem;
        }

        var ticket = await tickets.IssueLinkAsync(account!.UserId, PendingSignIns.PasswordStamp(account), request.Body.CodeChallenge!, request.Aborted);
        var start = PublicBase(context) + mount.BasePath + "/oidc/" + provider.Name + "/start?returnTo=" + Uri.EscapeDataString(returnTo) + "&link=" + ticket;
        return TypedResults.Ok(new OidcLinkResponse(start));
    }

    public async Task<Ok<IdentityInfo[]>> IdentitiesAsync(EndpointRequest<NoBody> request)
    {
        var linked = await identities.ListAsync(request.Subject.UserId, request.Aborted);
        return TypedResults.Ok(linked
            .Select(l => new IdentityInfo(l.Provider, client.Find(l.Provider)?.DisplayName ?? l.Provider, l.Email, l.LinkedAt, l.LastUsedAt))
            .ToArray());
    }

    public async Task<Results<NoContent, ProblemHttpResult>> UnlinkAsync(EndpointRequest<IdentityUnlinkRequest> request)
    {
        for (var attempt = 0; attempt < 4; attempt++)
        {
            var (account, link) = await identities.FindLinkAsync(request.Subject.UserId, request.Body.Provider!, request.Aborted);
            if (account is null || link is null)
            {
                return Problems.NotFound("No identity of that provider is linked to this account.");
            }

            if (!account.HasPassword && account.Passkeys == 0 && account.ProviderIdentities <= 1)
            {
                return Problems.Conflict("This provider is the account's last way to sign in: set a password (through forgot password) or add a passkey first.");
            }

            // The account row's ETag decides against a concurrent removal of the other way in (a passkey, another provider).
            // (An account with a link row is in its own row: linking wrote it there.)
            if (await identities.TryUnlinkAsync(account, link, request.Aborted))
            {
                await events.RaiseAsync(request.Context, AuthEventKind.OidcUnlinked, account.UserId, request.Subject.SessionId, link.Provider);
                return TypedResults.NoContent();
            }
        }

        return Problems.Conflict("The account changed meanwhile. Try again.");
    }

    /// <summary>The provider the path names (<c>…/oidc/{provider}/start</c>), read from the path so both hosts agree.</summary>
    private OidcProvider? ProviderOf(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        var marker = path.LastIndexOf("/oidc/", StringComparison.Ordinal);
        if (marker < 0)
        {
            return null;
        }

        var rest = path[(marker + "/oidc/".Length)..];
        var slash = rest.IndexOf('/');
        return client.Find(slash > 0 ? rest[..slash] : rest);
    }

    /// <summary>A return URL under an allowed origin (exactly: scheme, host and port), without user info or fragment.</summary>
    private ProblemHttpResult? ReturnToProblem(string? value, out string returnTo)
    {
        returnTo = value ?? "";
        var allowed = Uri.TryCreate(returnTo, UriKind.Absolute, out var uri)
            && returnTo.Length <= MaxReturnToLength
            && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            && string.IsNullOrEmpty(uri.UserInfo)
            && string.IsNullOrEmpty(uri.Fragment)
            && !returnTo.Contains('\\', StringComparison.Ordinal)
            && origins.IsAllowed(uri.GetLeftPart(UriPartial.Authority));
        if (allowed)
        {
            returnTo = uri!.AbsoluteUri;
            return null;
        }

        return Problems.Invalid("returnTo", "returnTo must be an absolute URL (no fragment) of a page on an origin in Auth__AllowedOrigins.");
    }

    private static RedirectHttpResult Redirect(string returnTo, string name, string value) =>
        TypedResults.Redirect(returnTo + (returnTo.Contains('?', StringComparison.Ordinal) ? "&" : "?") + name + "=" + Uri.EscapeDataString(value));

    private string RedirectUri(HttpContext context, OidcProvider provider) => PublicBase(context) + mount.BasePath + "/oidc/" + provider.Name + "/callback";

    /// <summary>Auth__Oidc__RedirectBaseUrl, else the request's scheme and host (as the forwarded-header handling resolved them).</summary>
    private string PublicBase(HttpContext context) => redirectBaseUrl ?? context.Request.Scheme + "://" + context.Request.Host.Value;

    private static bool IsChallenge(string value) => value.Length == 43 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static string Random() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    private static ProblemHttpResult InvalidCode() =>
        Problems.Invalid("code", "The sign-in code is unknown, expired (60 seconds), used already, or not this browser's (the verifier does not match). Sign in again.");

    /// <summary>A sign-in code whose identity, resolved again at the exchange, signs in no account: the code the callback would have sent back.</summary>
    private static ProblemHttpResult NotSignedIn(OidcOutcome outcome) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status409Conflict, title: "The provider's sign-in did not sign in an account.",
            detail: "The account the provider's identity named no longer holds it, and resolving it again failed (the code says why, as the callback's error would). Sign in again.",
            extensions: new Dictionary<string, object?> { ["code"] = outcome is OidcOutcome.Failed(var failed) ? failed : "try_again" });

    private static ProblemHttpResult UnknownProvider() => Problems.NotFound("No such sign-in provider: GET /api/auth/oidc/providers lists them.");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sign-in with {Provider} failed: {Code} ({Reason})")]
    private static partial void LogFailed(ILogger logger, string provider, string code, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sign-in with {Provider}: the provider's amr [{Amr}] (recorded, never taken as a second factor)")]
    private static partial void LogProviderMethods(ILogger logger, string provider, IReadOnlyList<string> amr);
}
