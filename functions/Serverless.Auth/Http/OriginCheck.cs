using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Serverless.Auth.Http;

/// <summary>
/// CSRF defence for signup, login and logout, independent of SameSite (which is off with
/// SameSite=None): a browser request must come from this origin or an allowed one. Browsers set
/// Origin and Sec-Fetch-Site themselves and page scripts cannot forge them. Requests without either
/// (curl, server-to-server) carry no ambient browser credentials and pass.
/// </summary>
internal sealed class OriginCheck(IOptions<RequestOriginOptions> options)
{
    private readonly HashSet<string> allowed = new(options.Value.Origins, StringComparer.OrdinalIgnoreCase);

    public ProblemHttpResult? Check(HttpRequest request)
    {
        var fetchSite = request.Headers["Sec-Fetch-Site"].ToString();
        if (fetchSite.Equals("same-origin", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0)
        {
            // "null" (sandboxed frames, file:) is never allowed.
            return IsAllowed(origin) ? null : Problems.Forbidden($"Requests from origin {Describe(origin)} are not allowed.");
        }

        return fetchSite.Equals("cross-site", StringComparison.OrdinalIgnoreCase)
            ? Problems.Forbidden("Cross-site requests without an allowed Origin are not accepted.")
            : null;
    }

    /// <summary>Whether <paramref name="origin"/> (scheme://host[:port]) is in Auth__AllowedOrigins (case-insensitive, as browsers may differ in case).</summary>
    public bool IsAllowed(string origin) => allowed.Contains(origin);

    private static string Describe(string origin) => Origins.IsOrigin(origin) ? origin : "'(invalid)'";
}
