using Microsoft.AspNetCore.Http;
using Serverless.Auth.Cookies;
using Serverless.Auth.Http;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Sessions;

/// <summary>Who the request speaks for, from its access token: the Authorization header, else the access cookie.</summary>
internal sealed class Authenticator(AccessTokens tokens, RevocationList revocations, SessionCookies cookies)
{
    /// <summary>
    /// Null when no valid, unrevoked access token is presented. An Authorization header, when
    /// present, is the credential (explicit beats ambient), even if a cookie is also sent. Several
    /// access cookies (one planted by a sibling domain, a stale copy) are believed only when every
    /// valid one speaks for the same user: a planted cookie never signs the request in as someone else.
    /// </summary>
    public ValueTask<TokenSubject?> AuthenticateAsync(HttpContext context) =>
        // The usual request: one token, validated here before. Found from the header's characters (the cache and
        // the clock, as ValidateAsync checks them, without making the token a string); revocation is still asked.
        KnownToken(context.Request) is { } known ? NotRevokedAsync(known, context.RequestAborted) : ReadAndValidateAsync(context);

    /// <summary>
    /// The subject of the one token the request presents (the Bearer one if there is an Authorization header, else
    /// the one access cookie value) when this instance has validated it before and it is still within its lifetime;
    /// null for anything else (no token, several, one seen for the first time or no longer valid): the full path decides.
    /// </summary>
    private TokenSubject? KnownToken(HttpRequest request)
    {
        ReadOnlySpan<char> token;
        var presented = request.Headers.Authorization.Count > 0
            ? BearerToken.TryReadOne(request, out token)
            : cookies.Access.TryReadOne(request, out token);
        return presented ? tokens.FindValidated(token) : null;
    }

    private async ValueTask<TokenSubject?> ReadAndValidateAsync(HttpContext context)
    {
        if (context.Request.Headers.Authorization.Count > 0)
        {
            return await ValidAsync(BearerToken.Read(context.Request), context.RequestAborted);
        }

        var values = cookies.Access.ReadAll(context.Request);
        if (values.Count <= 1)
        {
            // The usual case, without the list and the comparison below (one value: its own answer).
            return values.Count == 0 ? null : await ValidAsync(values[0], context.RequestAborted);
        }

        var subjects = new List<TokenSubject>();
        foreach (var value in values)
        {
            if (await ValidAsync(value, context.RequestAborted) is { } subject)
            {
                subjects.Add(subject);
            }
        }

        return subjects.Select(s => s.UserId).Distinct(StringComparer.Ordinal).Count() == 1
            ? subjects.MaxBy(s => s.IssuedAt)
            : null;
    }

    /// <summary>True when the request carries an access cookie (and no Authorization header): a failed check should clear it.</summary>
    public bool SentAccessCookie(HttpRequest request) =>
        request.Headers.Authorization.Count == 0 && cookies.Access.ReadAll(request).Count > 0;

    /// <summary>The 401 for endpoints that need a session, with the Bearer challenge.</summary>
    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult NotAuthenticated(HttpResponse response)
    {
        response.Headers.WWWAuthenticate = "Bearer";
        return Problems.NotAuthenticated();
    }

    private async Task<TokenSubject?> ValidAsync(string? token, CancellationToken cancellationToken) =>
        await tokens.ValidateAsync(token) is { } subject ? await NotRevokedAsync(subject, cancellationToken) : null;

    private async ValueTask<TokenSubject?> NotRevokedAsync(TokenSubject subject, CancellationToken cancellationToken) =>
        await revocations.IsRevokedAsync(subject, cancellationToken) ? null : subject;
}
