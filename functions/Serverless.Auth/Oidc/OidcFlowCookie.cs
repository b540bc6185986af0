using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Serverless.Auth.Cookies;
using Serverless.Auth.Http;
using Serverless.Auth.Secrets;

namespace Serverless.Auth.Oidc;

/// <summary>One sign-in with a provider, between its start and the provider's callback.</summary>
/// <param name="State">Sent to the provider and echoed back: the callback must bring this one.</param>
/// <param name="Nonce">The ID token must carry it.</param>
/// <param name="CodeVerifier">The API's own PKCE verifier (the provider got its S256 challenge).</param>
/// <param name="ReturnTo">The frontend page the callback redirects to (under an allowed origin).</param>
/// <param name="FrontendChallenge">base64url(SHA-256(the frontend's verifier)): the one-time code is bound to it. Empty when linking.</param>
/// <param name="LinkUserId">When linking: the signed-in account the identity is added to.</param>
/// <param name="RedirectUri">The redirect URI sent to the provider (sent again at the code exchange).</param>
/// <param name="IssuedAt">Unix milliseconds.</param>
/// <param name="LinkStamp">When linking: the stamp of the account's password when the link was asked for (a change since voids it).</param>
internal sealed record OidcFlow(
    string Provider, string State, string Nonce, string CodeVerifier, string ReturnTo, string FrontendChallenge, string LinkUserId, string RedirectUri, long IssuedAt,
    string LinkStamp = "");

/// <summary>
/// The flow's state travels in a short-lived cookie (<see cref="AuthCookie.OidcState"/>: HttpOnly, SameSite=Lax, Path =
/// the provider's callback route), encrypted and authenticated with a key derived from the server key (AES-256-GCM), so the
/// nonce and the PKCE verifier stay secret and nothing is written to storage before the provider answers. The callback
/// clears it: a second callback with the same state finds none.
/// </summary>
internal sealed class OidcFlowCookie(IOptions<AuthCookieOptions> cookieOptions, AuthMount mount, ServerKey serverKey, TimeProvider time)
{
    /// <summary>How long the user has at the provider (login, consent).</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    private const string Version = "o1";
    private static readonly byte[] Purpose = "oidc-flow-v1"u8.ToArray();

    public void Write(HttpResponse response, OidcFlow flow)
    {
        var plain = JsonSerializer.SerializeToUtf8Bytes(flow, OidcFlowJson.Default.OidcFlow);
        Cookie(flow.Provider).Append(response, Version + "." + serverKey.Seal(Purpose, plain, AssociatedData(flow.Provider)), Lifetime);
    }

    /// <summary>The request's flow for <paramref name="provider"/>: exactly one cookie value that opens under a key of the ring, not expired.</summary>
    public OidcFlow? Read(HttpRequest request, string provider)
    {
        var values = Cookie(provider).ReadAll(request);
        if (values.Count != 1 || !values[0].StartsWith(Version + ".", StringComparison.Ordinal)
            || serverKey.Open(Purpose, values[0][(Version.Length + 1)..], AssociatedData(provider)) is not { } plain)
        {
            return null;
        }

        var flow = JsonSerializer.Deserialize(plain, OidcFlowJson.Default.OidcFlow);
        var age = time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(flow?.IssuedAt ?? 0);
        return flow is not null && flow.Provider == provider && age >= -Mfa.MfaOptions.ClockSkew && age < Lifetime ? flow : null;
    }

    public void Clear(HttpResponse response, string provider) => Cookie(provider).Clear(response);

    private AuthCookie Cookie(string provider) => AuthCookie.OidcState(cookieOptions, mount, provider);

    // The provider's name is bound in: a flow started for one provider cannot be finished at another's callback.
    private static byte[] AssociatedData(string provider) => Encoding.UTF8.GetBytes(provider);
}

[JsonSerializable(typeof(OidcFlow))]
[JsonSerializable(typeof(SignInCode))]
internal sealed partial class OidcFlowJson : JsonSerializerContext;
