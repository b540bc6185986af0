using Microsoft.Extensions.Options;

namespace Serverless.Auth.Http;

/// <summary>
/// <c>Auth__AllowedOrigins</c>: the frontend origins allowed to make state-changing calls (the same
/// list CORS uses). Requests from any other browser origin get 403.
/// </summary>
public sealed class RequestOriginOptions
{
    /// <summary>The configuration section these settings bind to (<c>Auth__*</c> environment variables).</summary>
    public const string Section = "Auth";

    /// <summary>
    /// Comma-separated frontend origins whose pages may call signup, login, logout and the other state-changing routes
    /// besides this host's own (the CSRF guard: any other browser origin gets 403); the same list as CORS. Exact
    /// <c>scheme://host[:port]</c>: a path, <c>*</c>, a trailing slash or dot is refused.
    /// </summary>
    public string? AllowedOrigins { get; set; }

    private string[]? origins;

    /// <summary>The parsed list, built once per options instance.</summary>
    internal string[] Origins => origins ??= Http.Origins.Split(AllowedOrigins);
}

internal sealed class RequestOriginOptionsValidator : IValidateOptions<RequestOriginOptions>
{
    public ValidateOptionsResult Validate(string? name, RequestOriginOptions options)
    {
        var bad = options.Origins.Where(o => !Origins.IsOrigin(o)).ToArray();
        return bad.Length == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Auth__AllowedOrigins must list origins (scheme://host[:port]: no path, no trailing slash or dot, no '*' wildcard), comma-separated; not: {string.Join(", ", bad)}");
    }
}
