using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serverless.Auth.Http;
using Serverless.Auth.Sessions;
using Serverless.Auth.Storage;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Protection;

/// <summary>
/// The names of the authentication scheme that protects an app's own endpoints with the sessions of this service, of
/// the policy it ships, and of the claims it produces.
/// </summary>
public static class SessionAuthentication
{
    /// <summary>The scheme: the access cookie or <c>Authorization: Bearer</c>, checked exactly as <c>GET /api/auth/verify</c> checks it.</summary>
    public const string Scheme = "AuthSession";

    /// <summary>A policy: signed in, with a confirmed email address (<c>email_verified</c> is <c>true</c>).</summary>
    public const string ConfirmedEmailPolicy = "ConfirmedEmail";

    /// <summary>The user id.</summary>
    public const string SubjectClaim = "sub";

    /// <summary>The account's address.</summary>
    public const string EmailClaim = "email";

    /// <summary><c>true</c> or <c>false</c>.</summary>
    public const string EmailVerifiedClaim = AccessTokens.EmailVerifiedClaim;

    /// <summary>The session id: what <c>POST /api/auth/sessions/revoke</c> ends.</summary>
    public const string SessionIdClaim = "sid";

    /// <summary>How the session was signed in (RFC 8176), one claim per method: <c>pwd</c>; with a second factor also <c>mfa</c> and <c>otp</c> (or <c>rcv</c>, a recovery code).</summary>
    public const string AmrClaim = AccessTokens.AmrClaim;

    /// <summary>When a second factor was last checked for the session, in Unix seconds (absent: never).</summary>
    public const string SecondFactorTimeClaim = AccessTokens.SecondFactorTimeClaim;

    /// <summary>
    /// Requires a session whose second factor (a TOTP code or a recovery code, at sign-in or a step-up) was checked
    /// within <paramref name="within"/>: for an app's own sensitive endpoints, as the auth routes require for theirs.
    /// Otherwise the scheme answers 403 (<c>policy_not_met</c>); the client asks the user to sign in again with a code.
    /// </summary>
    public static AuthorizationPolicyBuilder RequireRecentSecondFactor(this AuthorizationPolicyBuilder policy, TimeSpan within)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(within, TimeSpan.Zero);
        return policy.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser().AddRequirements(new RecentSecondFactorRequirement(within));
    }

    /// <summary>When the session began, in Unix seconds.</summary>
    public const string AuthTimeClaim = AccessTokens.AuthTimeClaim;

    /// <summary>
    /// The session check for code that is not a mapped endpoint (an Azure Functions HTTP trigger: ASP.NET Core's
    /// authentication and authorization middleware do not run for functions in the isolated worker). True when the
    /// request may go on (<see cref="HttpContext.User"/> is then the session's user, meeting <paramref name="policyName"/>,
    /// or the default policy); else the scheme's own 401 or 403 (or 503 when revocations cannot be checked) is written.
    /// </summary>
    public static async Task<bool> AuthorizeAsync(HttpContext context, string? policyName = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var policies = context.RequestServices.GetRequiredService<IAuthorizationPolicyProvider>();
        var policy = policyName is null
            ? await policies.GetDefaultPolicyAsync()
            : await policies.GetPolicyAsync(policyName) ?? throw new InvalidOperationException($"No authorization policy is named {policyName}.");
        return await AuthorizeAsync(context, policy);
    }

    /// <summary>
    /// <see cref="AuthorizeAsync(HttpContext, string?)"/> for a policy already built (for example combined from
    /// <c>[Authorize]</c> attributes): authenticates with the policy's schemes as ASP.NET Core's authorization middleware
    /// does, and writes their challenge (401) or forbid (403) when it fails.
    /// </summary>
    public static async Task<bool> AuthorizeAsync(HttpContext context, AuthorizationPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(policy);
        if (policy.AuthenticationSchemes.Count == 0)
        {
            // Nothing authenticated this request before us (the Functions worker runs no authentication middleware),
            // so a policy that names no scheme is evaluated against the session scheme rather than an empty user.
            policy = new AuthorizationPolicyBuilder(policy).AddAuthenticationSchemes(Scheme).Build();
        }

        var evaluator = context.RequestServices.GetRequiredService<IPolicyEvaluator>();
        var authentication = await evaluator.AuthenticateAsync(policy, context);
        var authorization = await evaluator.AuthorizeAsync(policy, authentication, context, resource: context);
        if (authorization.Succeeded)
        {
            return true;
        }

        foreach (var scheme in policy.AuthenticationSchemes)
        {
            await (authorization.Challenged ? context.ChallengeAsync(scheme) : context.ForbidAsync(scheme));
        }

        return false;
    }

    /// <summary>
    /// The origin check that guards the auth routes, for a request to an app's own endpoint: null when it may go on (a
    /// safe method, this origin or an allowed one, or no browser origin at all), else the 403 problem+json to answer.
    /// <c>RequireAllowedOrigin()</c> applies it to a mapped endpoint; call it directly where there is no endpoint
    /// pipeline (an Azure Functions HTTP trigger).
    /// </summary>
    public static IResult? RefuseForeignOrigin(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method)
            || context.RequestServices.GetRequiredService<OriginCheck>().Check(request) is not { } refused)
        {
            return null;
        }

        ResponseDefaults.ApplyHeaders(context.Response);
        return refused;
    }
}

/// <summary>
/// The scheme's handler: <see cref="Authenticator"/> (signature, lifetime, issuer, audience, type and revocation, from
/// the in-memory revocation list: no storage read on the hot path). Unauthenticated: 401 problem+json with
/// <c>WWW-Authenticate: Bearer</c>; a failed policy: 403 problem+json. Every answer it touches is <c>no-store</c>.
/// </summary>
/// <remarks>
/// A plain <see cref="IAuthenticationHandler"/> rather than <c>AuthenticationHandler&lt;TOptions&gt;</c>: the scheme
/// has no options, events or forwarding, and the base class's per-request set-up (a logger made from the factory, the
/// options lookup, the events object) cost more than the token check itself on a protected endpoint's hot path.
/// Resolved per request (transient): ASP.NET Core makes one handler per scheme per request and initializes it there.
/// </remarks>
internal sealed partial class SessionAuthenticationHandler(Authenticator authenticator, ILogger<SessionAuthenticationHandler> logger)
    : IAuthenticationHandler
{
    private HttpContext context = null!;
    private Task<AuthenticateResult>? authentication;
    private bool storageUnavailable;
    private string schemeName = SessionAuthentication.Scheme;

    public Task InitializeAsync(AuthenticationScheme scheme, HttpContext httpContext)
    {
        schemeName = scheme.Name;
        context = httpContext;
        return Task.CompletedTask;
    }

    // Once per request, however many policies or calls ask (as the base class does).
    public Task<AuthenticateResult> AuthenticateAsync() => authentication ??= AuthenticateOnceAsync();

    private async Task<AuthenticateResult> AuthenticateOnceAsync()
    {
        TokenSubject? subject;
        try
        {
            subject = await authenticator.AuthenticateAsync(context);
        }
        catch (Exception e) when (StorageFailure.IsUnavailable(e) && !context.RequestAborted.IsCancellationRequested)
        {
            // The revocation list is stale and storage cannot be asked either: fail closed, as verify does (503, not 401 or 500).
            storageUnavailable = true;
            return AuthenticateResult.Fail("Revocations cannot be checked: storage is not reachable.");
        }

        if (subject is null)
        {
            if (context.Request.Headers.Authorization.Count == 0 && !authenticator.SentAccessCookie(context.Request))
            {
                return AuthenticateResult.NoResult();
            }

            LogRefused(logger, schemeName);
            return AuthenticateResult.Fail("The access token is missing, invalid, expired or revoked.");
        }

        // An answer that depends on whose session it is must not be kept by a browser or proxy cache (the endpoint can
        // still set its own Cache-Control after this).
        ResponseDefaults.ApplyHeaders(context.Response);
        return AuthenticateResult.Success(new AuthenticationTicket(PrincipalOf(subject, schemeName), schemeName));
    }

    public Task ChallengeAsync(AuthenticationProperties? properties)
    {
        ResponseDefaults.ApplyHeaders(context.Response);
        return storageUnavailable
            ? Problems.Unavailable(context.Response, TimeSpan.FromSeconds(5), "Storage is not reachable right now. Try again shortly.").ExecuteAsync(context)
            : Authenticator.NotAuthenticated(context.Response).ExecuteAsync(context);
    }

    public Task ForbidAsync(AuthenticationProperties? properties)
    {
        ResponseDefaults.ApplyHeaders(context.Response);
        return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed.",
            detail: "The signed-in user does not meet this endpoint's policy (for example, a confirmed email address).",
            extensions: new Dictionary<string, object?> { ["code"] = "policy_not_met" }).ExecuteAsync(context);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "{Scheme}: the access token presented is invalid, expired or revoked.")]
    private static partial void LogRefused(ILogger logger, string scheme);

    internal static ClaimsPrincipal PrincipalOf(TokenSubject subject, string scheme)
    {
        var identity = new ClaimsIdentity(scheme, SessionAuthentication.SubjectClaim, roleType: null);
        // Claims made with their subject set are added as they are; any other claim is copied by ClaimsIdentity.
        void Add(string type, string value, string valueType = ClaimValueTypes.String) =>
            identity.AddClaim(new Claim(type, value, valueType, ClaimsIdentity.DefaultIssuer, ClaimsIdentity.DefaultIssuer, identity));

        Add(SessionAuthentication.SubjectClaim, subject.UserId);
        Add(SessionAuthentication.EmailClaim, subject.Email);
        Add(SessionAuthentication.EmailVerifiedClaim, subject.EmailConfirmed ? "true" : "false", ClaimValueTypes.Boolean);
        Add(SessionAuthentication.SessionIdClaim, subject.SessionId);
        Add(SessionAuthentication.AuthTimeClaim, subject.SessionStartedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer64);
        foreach (var method in subject.Amr)
        {
            Add(SessionAuthentication.AmrClaim, method);
        }

        if (subject.SecondFactorAt is { } factorAt)
        {
            Add(SessionAuthentication.SecondFactorTimeClaim, factorAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer64);
        }

        return new ClaimsPrincipal(identity);
    }
}

/// <summary>
/// The origin check that protects the auth routes, as an endpoint filter for an app's own unsafe-method endpoints
/// (POST, PUT, PATCH, DELETE): a scheme does not check origins, and with <c>SameSite=None</c> cookies a cross-site page
/// could otherwise send them. Safe methods pass (CORS decides what a foreign page may read).
/// </summary>
internal sealed class AllowedOriginFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        SessionAuthentication.RefuseForeignOrigin(context.HttpContext) ?? await next(context);
}

/// <summary>The session's <c>mfa_time</c> is within <see cref="Within"/> of now (the app's <see cref="TimeProvider"/>).</summary>
internal sealed class RecentSecondFactorRequirement(TimeSpan within) : AuthorizationHandler<RecentSecondFactorRequirement>, IAuthorizationRequirement
{
    public TimeSpan Within { get; } = within;

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, RecentSecondFactorRequirement requirement)
    {
        var services = (context.Resource as HttpContext)?.RequestServices;
        var now = (services?.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();
        if (context.User.FindFirst(SessionAuthentication.SecondFactorTimeClaim)?.Value is { } value
            && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            && Mfa.MfaOptions.IsRecent(DateTimeOffset.FromUnixTimeSeconds(seconds), now, requirement.Within))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
