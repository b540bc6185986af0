using Microsoft.AspNetCore.Connections.Features;
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
        // The usual request: one token, validated here before. Found without making the token a string (the cache and
        // the clock, as ValidateAsync checks them); revocation is still asked, every time.
        KnownToken(context) is { } known ? NotRevokedAsync(known, context.RequestAborted) : ReadAndValidateAsync(context);

    /// <summary>
    /// The subject of the one token the request presents (the Bearer one if there is an Authorization header, else
    /// the one access cookie value) when this instance has validated it before and it is still within its lifetime;
    /// null for anything else (no token, several, one seen for the first time or no longer valid): the full path decides.
    /// </summary>
    private TokenSubject? KnownToken(HttpContext context)
    {
        var request = context.Request;
        var bearer = request.Headers.Authorization.Count > 0;
        var credential = bearer ? request.Headers.Authorization : request.Headers.Cookie;
        var memos = credential.Count == 1 ? SequentialConnectionItems(context) : null;
        if (memos is not null && memos.TryGetValue(this, out var remembered) && remembered is ConnectionMemo memo
            && ReferenceEquals(memo.Header, credential[0]) && memo.Bearer == bearer)
        {
            if (tokens.IsStillValid(memo.Token))
            {
                return memo.Token.Subject;
            }

            memos.Remove(this);
            return null;
        }

        ReadOnlySpan<char> token;
        var presented = bearer ? BearerToken.TryReadOne(request, out token) : cookies.Access.TryReadOne(request, out token);
        if (!presented || tokens.FindValidated(token) is not { } validated)
        {
            return null;
        }

        if (memos is not null)
        {
            memos[this] = new ConnectionMemo(credential[0]!, bearer, validated);
        }

        return validated.Subject;
    }

    /// <summary>
    /// The items of the connection when it carries one request at a time (HTTP/1.x on Kestrel): where
    /// <see cref="ConnectionMemo"/> is kept. Null elsewhere (HTTP/2 and 3 run a connection's requests at once; hosts
    /// without connection items).
    /// </summary>
    private static IDictionary<object, object?>? SequentialConnectionItems(HttpContext context) =>
        (HttpProtocol.IsHttp11(context.Request.Protocol) || HttpProtocol.IsHttp10(context.Request.Protocol))
            && context.Features.Get<IConnectionItemsFeature>() is { } connection
            ? connection.Items
            : null;

    /// <summary>
    /// The credential header the connection's last request presented and the validated token it carried. Kestrel
    /// reuses a header's string on a connection while the next request sends the same bytes (and makes a new string
    /// when they differ; strings never change), so the very same string object means the very same characters, hence
    /// the same token: its subject is answered without reading or hashing the header again (a browser or API client
    /// sends the same cookie on every request of a kept-alive connection). The token's lifetime is checked on every
    /// use, as on a cache hit, and revocation by the caller, every time. Keyed by the <see cref="Authenticator"/> in
    /// the connection's items; it holds the header string Kestrel already holds for that reuse, and nothing a request
    /// with other bytes (another user behind the same proxy connection) could match.
    /// </summary>
    private sealed record ConnectionMemo(string Header, bool Bearer, ValidatedTokens.Entry Token);

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
