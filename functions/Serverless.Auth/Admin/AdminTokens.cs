using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Serverless.Auth.Http;

namespace Serverless.Auth.Admin;

/// <summary>The caller of an admin route: the subject of its token (<c>oid</c> when the issuer is Entra ID, else <c>sub</c>).</summary>
internal sealed record AdminCaller(string Subject);

/// <summary>
/// Checks the bearer token of an admin request, and nothing else: cookies are never read, so a browser page riding on
/// the app-wide credentialed CORS has nothing to send. The token must be signed (RS256 or ES256) by a key of the
/// configured authority's JWKS (discovery and keys cached; fetched again, at most every 30 s, for an unknown key), issued by
/// an accepted issuer, for an accepted audience, unexpired, and carry the role in <c>roles</c>.
/// </summary>
internal sealed partial class AdminTokens : IDisposable
{
    public const string RolesClaim = "roles";

    private readonly AdminOptions settings;
    private readonly ConfigurationManager<OpenIdConnectConfiguration>? configuration;
    private readonly HttpClient http;
    private readonly JsonWebTokenHandler handler = new() { MapInboundClaims = false };
    private readonly ILogger<AdminTokens> logger;

    public AdminTokens(IOptions<AdminOptions> options, ILogger<AdminTokens> logger)
    {
        settings = options.Value;
        this.logger = logger;
        http = Oidc.OidcClient.CreateHttpClient(512 * 1024);
        if (settings.Enabled)
        {
            var authority = settings.NormalizedAuthority;
            configuration = new ConfigurationManager<OpenIdConnectConfiguration>(
                authority + "/.well-known/openid-configuration",
                new OpenIdConnectConfigurationRetriever(),
                new HttpDocumentRetriever(http) { RequireHttps = !new Uri(authority).IsLoopback })
            {
                AutomaticRefreshInterval = TimeSpan.FromHours(12),
                RefreshInterval = TimeSpan.FromSeconds(30),
            };
        }
    }

    public bool Enabled => configuration is not null;

    /// <summary>The admin, or the problem to answer: 404 when the admin API is off, 401 for a missing or invalid token, 403 without the role.</summary>
    public async Task<(AdminCaller? Admin, ProblemHttpResult? Refused)> AuthenticateAsync(HttpContext context)
    {
        if (configuration is null)
        {
            return (null, Problems.NotFound("The admin API is off: set Auth__Admin__Authority (and Auth__Admin__Audience) to turn it on."));
        }

        if (!BearerToken.TryReadOne(context.Request, out var presented))
        {
            return (null, Unauthorized(context.Response, "An admin route needs an Authorization: Bearer access token from the admin issuer."));
        }

        var token = presented.ToString();
        var result = await ValidateAsync(token, context.RequestAborted);
        if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            // A key the cached JWKS does not have yet (a rotation): fetch it again (rate-limited by RefreshInterval) and retry once.
            configuration.RequestRefresh();
            result = await ValidateAsync(token, context.RequestAborted);
        }

        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            LogRefused(logger, result.Exception?.GetType().Name ?? "invalid");
            return (null, Unauthorized(context.Response, "The bearer token is not a valid admin access token (issuer, audience, signature or lifetime)."));
        }

        if (!jwt.Claims.Any(c => c.Type == RolesClaim && string.Equals(c.Value, settings.Role, StringComparison.Ordinal)))
        {
            return (null, TypedResults.Problem(
                statusCode: StatusCodes.Status403Forbidden, title: "Not an admin.",
                detail: $"The token is valid but lacks the {settings.Role} role (Auth__Admin__Role) in its roles claim.",
                extensions: new Dictionary<string, object?> { ["code"] = "admin_role_required" }));
        }

        var subject = jwt.TryGetPayloadValue<string>("oid", out var oid) && oid.Length > 0 ? oid : jwt.Subject;
        return string.IsNullOrEmpty(subject)
            ? (null, Unauthorized(context.Response, "The admin token names no subject (sub or oid)."))
            : (new AdminCaller(subject), null);
    }

    private async Task<TokenValidationResult> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        OpenIdConnectConfiguration metadata;
        try
        {
            metadata = await configuration!.GetConfigurationAsync(cancellationToken);
        }
        catch (InvalidOperationException e)
        {
            // Discovery unreachable and nothing cached: no token can be checked.
            LogUnreachable(logger, e.GetType().Name);
            return new TokenValidationResult { IsValid = false, Exception = e };
        }

        return await handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuers = settings.Issuers.Count > 0 ? settings.Issuers : [metadata.Issuer],
            ValidAudiences = settings.Audiences,
            IssuerSigningKeys = metadata.SigningKeys,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.EcdsaSha256],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromMinutes(1),
        });
    }

    private static ProblemHttpResult Unauthorized(HttpResponse response, string detail)
    {
        response.Headers.WWWAuthenticate = "Bearer";
        return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Not authenticated.", detail: detail);
    }

    public void Dispose() => http.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Admin token refused ({Reason})")]
    private static partial void LogRefused(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The admin issuer's discovery document could not be read ({Failure}); admin requests are refused until it can")]
    private static partial void LogUnreachable(ILogger logger, string failure);
}
