namespace Serverless.Auth.Http;

// The social sign-in routes' bodies.

/// <summary>A provider the frontend may offer a button for.</summary>
/// <param name="Name">The name in the routes (<c>/api/auth/oidc/{name}/start</c>).</param>
/// <param name="DisplayName">The button's label.</param>
public sealed record OidcProviderInfo(string Name, string DisplayName);

/// <summary>The one-time code the callback put in <c>returnTo</c>, and the frontend's verifier it is bound to.</summary>
/// <param name="Code">The <c>code</c> query parameter of the return URL (60 seconds, single use).</param>
/// <param name="CodeVerifier">The random verifier whose base64url(SHA-256) the frontend sent as <c>codeChallenge</c> to the start URL.</param>
/// <param name="Remember">False for browser-session cookies (as login's <c>remember</c>); default true.</param>
public sealed record OidcExchangeRequest(string? Code, string? CodeVerifier, bool? Remember = null) : IRequiredFields
{
    IEnumerable<(string Field, string Label, string? Value)> IRequiredFields.RequiredFields => [("code", "Code", Code), ("codeVerifier", "Code verifier", CodeVerifier)];
}

/// <summary>Linking a provider to the signed-in account: where to come back, the page's challenge, and the re-authentication unless this session's is recent.</summary>
/// <param name="ReturnTo">The frontend page the callback returns to (<c>?code=</c>, confirmed at the exchange, or <c>?error=code</c>), under an allowed origin.</param>
/// <param name="CodeChallenge">base64url(SHA-256(verifier)); the page keeps the verifier and confirms the link with it.</param>
/// <param name="Password">The current password (not needed within the step-up window).</param>
/// <param name="Code">With TOTP on: a code (not needed within the step-up window).</param>
/// <param name="RecoveryCode">A recovery code instead of a code.</param>
public sealed record OidcLinkRequest(string? ReturnTo, string? CodeChallenge, string? Password = null, string? Code = null, string? RecoveryCode = null)
    : IRequiredFields, Mfa.ISecondFactorAnswer
{
    IEnumerable<(string Field, string Label, string? Value)> IRequiredFields.RequiredFields =>
        [("returnTo", "Return URL", ReturnTo), ("codeChallenge", "Code challenge", CodeChallenge)];
}

/// <summary>The start URL to navigate to: it carries a single-use link ticket (5 minutes).</summary>
public sealed record OidcLinkResponse(string Url);

/// <summary>A provider identity linked to the signed-in account.</summary>
/// <param name="Provider">The provider's name.</param>
/// <param name="DisplayName">Its label.</param>
/// <param name="Email">The address the provider gave when it was linked, if any.</param>
public sealed record IdentityInfo(string Provider, string DisplayName, string? Email, DateTimeOffset LinkedAt, DateTimeOffset? LastUsedAt);

/// <summary>The provider whose identity to remove from the signed-in account.</summary>
public sealed record IdentityUnlinkRequest(string? Provider) : IRequiredFields
{
    IEnumerable<(string Field, string Label, string? Value)> IRequiredFields.RequiredFields => [("provider", "Provider", Provider)];
}
