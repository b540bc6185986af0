using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Serverless.Auth.Tokens;

/// <summary>
/// Who a valid access token speaks for, and the session (<c>sid</c>) it belongs to. <see cref="SessionStartedAt"/>
/// is when that session began (<c>auth_time</c>, milliseconds): what the per-user cut-offs compare, so a
/// token minted by a refresh after a cut-off still ends with its session.
/// </summary>
internal sealed record TokenSubject(
    string UserId, string Email, DateTimeOffset ExpiresAt, string TokenId, string SessionId, DateTimeOffset IssuedAt, bool EmailConfirmed = false)
{
    public DateTimeOffset SessionStartedAt { get; init; } = IssuedAt;

    /// <summary>How the session was signed in (RFC 8176): <c>["pwd"]</c>, or with a second factor <c>["pwd","otp","mfa"]</c> / <c>["pwd","mfa","rcv"]</c>.</summary>
    public IReadOnlyList<string> Amr { get; init; } = Mfa.Amr.Password;

    /// <summary>When a second factor was last checked for the session (whole seconds); null: never.</summary>
    public DateTimeOffset? SecondFactorAt { get; init; }
}

internal sealed record IssuedToken(string Value, TokenSubject Subject);

/// <summary>Issues and validates the access tokens (JWT, <c>typ: at+jwt</c>): ES256 or HS256, the algorithm pinned per key.</summary>
internal sealed class AccessTokens
{
    public const string TokenType = "at+jwt";

    /// <summary>OpenID Connect's claim for a confirmed address (a JSON boolean); absent in tokens issued before it existed, read as false.</summary>
    public const string EmailVerifiedClaim = "email_verified";
    /// <summary>
    /// OpenID Connect's time of the sign-in that started the session: a NumericDate with milliseconds (RFC 7519
    /// allows fractions), so a cut-off a few milliseconds before or after it decides correctly. Absent in
    /// tokens issued before it existed: read as <c>iat</c>, which is never later than the session's start.
    /// </summary>
    public const string AuthTimeClaim = "auth_time";

    /// <summary>RFC 8176's authentication methods (a JSON array of strings).</summary>
    public const string AmrClaim = "amr";

    /// <summary>When a second factor was last checked for the session, NumericDate; absent when never (the step-up window reads it).</summary>
    public const string SecondFactorTimeClaim = "mfa_time";
    public const int MaxTokenBytes = 8 * 1024;
    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    private readonly JsonWebTokenHandler handler = new()
    {
        SetDefaultTimesOnTokenCreation = false,
        MaximumTokenSizeInBytes = MaxTokenBytes,
        // Keep claim names as issued (no WS-Fed mapping of "sub" / "email").
        MapInboundClaims = false,
    };

    private readonly JwtOptions options;
    private readonly SigningKeySet keys;
    private readonly TimeProvider time;
    private readonly TokenValidationParameters validation;
    private readonly ValidatedTokens validated = new();

    public AccessTokens(IOptions<JwtOptions> options, TimeProvider time)
    {
        this.options = options.Value;
        this.time = time;
        // Validated at start-up (JwtOptionsValidator), so the set is there.
        keys = this.options.Keys.Set ?? throw new InvalidOperationException(this.options.Keys.Error);
        validation = new TokenValidationParameters
        {
            ValidIssuer = this.options.Issuer,
            ValidAudience = this.options.Audience,
            IssuerSigningKeys = keys.ValidationKeys,
            // Only the key named by "kid" is tried: an unknown kid fails rather than falling back to all keys.
            TryAllIssuerSigningKeys = false,
            // Each key checks tokens of its own algorithm only (HS256 for an HMAC key, ES256 for a P-256
            // key): a token cannot choose how the key it names is used (algorithm confusion).
            AlgorithmValidator = static (algorithm, key, _, _) => key is not null && algorithm == SigningKeySet.AlgorithmFor(key),
            ValidTypes = [TokenType],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateIssuerSigningKey = true,
            ClockSkew = ClockSkew,
            LifetimeValidator = IsWithinLifetime,
        };
    }

    public TimeSpan Lifetime => options.Lifetime;

    /// <summary>The cache of validated tokens (tests check it stays bounded).</summary>
    internal ValidatedTokens Validated => validated;

    /// <param name="sessionStartedAt">When the session began; null: now (tests and benchmarks that need no session).</param>
    /// <param name="amr">RFC 8176 methods; null: a password.</param>
    /// <param name="secondFactorAt">When a second factor was last checked for the session; null: never.</param>
    public IssuedToken Issue(
        string userId, string email, string sessionId, bool emailConfirmed = false, DateTimeOffset? sessionStartedAt = null,
        IReadOnlyList<string>? amr = null, DateTimeOffset? secondFactorAt = null)
    {
        amr = Mfa.Amr.Canonical(amr ?? Mfa.Amr.Password);
        var secondFactorTime = secondFactorAt is { } at ? DateTimeOffset.FromUnixTimeSeconds(at.ToUnixTimeSeconds()) : (DateTimeOffset?)null;
        // Whole seconds: JWT times are NumericDate seconds, and expiresAt must equal the token's exp.
        var now = DateTimeOffset.FromUnixTimeSeconds(time.GetUtcNow().ToUnixTimeSeconds());
        var expires = now + Lifetime;
        var tokenId = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16));
        var started = Milliseconds.Floor(sessionStartedAt ?? time.GetUtcNow());
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Audience = options.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            TokenType = TokenType,
            SigningCredentials = new SigningCredentials(keys.Current, keys.SigningAlgorithm),
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = userId,
                [JwtRegisteredClaimNames.Email] = email,
                [JwtRegisteredClaimNames.Jti] = tokenId,
                [JwtRegisteredClaimNames.Sid] = sessionId,
                [EmailVerifiedClaim] = emailConfirmed,
                [AuthTimeClaim] = started.ToUnixTimeMilliseconds() / 1000.0,
                [AmrClaim] = amr.ToArray(),
            },
        };
        if (secondFactorTime is { } factorTime)
        {
            descriptor.Claims[SecondFactorTimeClaim] = factorTime.ToUnixTimeSeconds();
        }

        return new IssuedToken(
            handler.CreateToken(descriptor),
            new TokenSubject(userId, email, expires, tokenId, sessionId, now, emailConfirmed) { SessionStartedAt = started, Amr = amr, SecondFactorAt = secondFactorTime });
    }

    /// <summary>
    /// This token's cache entry when it was validated here before and is still within its lifetime (the same checks on
    /// the same cache: its <c>Subject</c> is <see cref="ValidateAsync"/>'s answer), from the characters where they are:
    /// a protected request's token is read from its header without making a string. Null means "not known to be
    /// valid": call <see cref="ValidateAsync"/>.
    /// </summary>
    public ValidatedTokens.Entry? FindValidated(ReadOnlySpan<char> token) =>
        IsHashable(token) && validated.Find(ValidatedTokens.Digest.Of(token)) is { } known && IsStillValid(known) ? known : null;

    /// <summary>Whether a validated token is still within its lifetime by the clock: checked again on every use.</summary>
    public bool IsStillValid(ValidatedTokens.Entry known) =>
        IsWithinLifetime(known.NotBefore, known.Subject.ExpiresAt.UtcDateTime) && !IsIssuedInTheFuture(known.Subject.IssuedAt.UtcDateTime);

    /// <summary>Signature, algorithm, type, issuer, audience and lifetime; null when any check fails.</summary>
    public async Task<TokenSubject?> ValidateAsync(string? token)
    {
        if (token is null || !IsHashable(token))
        {
            return null;
        }

        // Seen and checked before: only the clock can have changed its answer (revocation is the caller's, every time).
        var key = ValidatedTokens.Digest.Of(token);
        if (validated.Find(key) is { } known)
        {
            return IsStillValid(known) ? known.Subject : null;
        }

        var result = await handler.ValidateTokenAsync(token, validation);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt || !HasSaneHeaderAndTimes(jwt))
        {
            return null;
        }

        if (Subject(jwt) is { } subject)
        {
            validated.Add(key, subject, jwt.TryGetPayloadValue<object>(JwtRegisteredClaimNames.Nbf, out _) ? jwt.ValidFrom : null);
            return subject;
        }

        return null;
    }

    // A compact JWT is ASCII (base64url and dots) by definition; anything else is refused before it is hashed.
    private static bool IsHashable(ReadOnlySpan<char> token) =>
        !token.IsEmpty && token.Length <= MaxTokenBytes && System.Text.Ascii.IsValid(token);

    private static TokenSubject? Subject(JsonWebToken jwt) =>
        jwt.TryGetPayloadValue<string>(JwtRegisteredClaimNames.Sub, out var userId)
            && jwt.TryGetPayloadValue<string>(JwtRegisteredClaimNames.Email, out var email)
            && jwt.TryGetPayloadValue<string>(JwtRegisteredClaimNames.Jti, out var tokenId)
            && jwt.TryGetPayloadValue<string>(JwtRegisteredClaimNames.Sid, out var sessionId)
            && jwt.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Iat, out var issuedAt)
            && !string.IsNullOrEmpty(userId) && !string.IsNullOrEmpty(email) && !string.IsNullOrEmpty(tokenId) && !string.IsNullOrEmpty(sessionId)
                ? new TokenSubject(
                    userId, email, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero), tokenId, sessionId, DateTimeOffset.FromUnixTimeSeconds(issuedAt),
                    jwt.TryGetPayloadValue<bool>(EmailVerifiedClaim, out var emailConfirmed) && emailConfirmed)
                {
                    SessionStartedAt = SessionStart(jwt) ?? DateTimeOffset.FromUnixTimeSeconds(issuedAt),
                    Amr = jwt.TryGetPayloadValue<List<string>>(AmrClaim, out var amr) && amr is { Count: > 0 and <= 8 } ? Mfa.Amr.Canonical(amr) : Mfa.Amr.Password,
                    SecondFactorAt = jwt.TryGetPayloadValue<long>(SecondFactorTimeClaim, out var factorAt) && factorAt is > 0 and < 253402300799
                        ? DateTimeOffset.FromUnixTimeSeconds(factorAt)
                        : null,
                }
                : null;

    /// <summary>auth_time to the millisecond (rounded: a decimal fraction is not exact in binary); null when absent or absurd.</summary>
    private static DateTimeOffset? SessionStart(JsonWebToken jwt) =>
        jwt.TryGetPayloadValue<double>(AuthTimeClaim, out var seconds) && double.IsFinite(seconds) && seconds is >= 0 and < 253402300799
            ? DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000))
            : null;

    /// <summary>
    /// Checks the handler does not make (they matter with a leaked key only, and cost nothing): no <c>crit</c>
    /// header (RFC 7515 4.1.11: we understand no extension, so any listed one must fail), <c>iat</c> not in
    /// the future beyond the skew, no lifetime (exp - iat, exp - nbf) longer than the configured one
    /// plus the skew (a forged token cannot outlive what this server would issue), and no <c>auth_time</c>
    /// after <c>iat</c>.
    /// </summary>
    private bool HasSaneHeaderAndTimes(JsonWebToken jwt)
    {
        if (jwt.TryGetHeaderValue<object>("crit", out _))
        {
            return false;
        }

        var longest = Lifetime + ClockSkew;
        var expires = jwt.ValidTo;
        if (jwt.TryGetPayloadValue<object>(JwtRegisteredClaimNames.Iat, out _))
        {
            var issuedAt = jwt.IssuedAt;
            if (IsIssuedInTheFuture(issuedAt) || expires - issuedAt > longest)
            {
                return false;
            }

            // A session cannot start after the token it issued: a later auth_time would dodge the cut-offs.
            if (SessionStart(jwt) is { } started && started > new DateTimeOffset(issuedAt, TimeSpan.Zero).AddSeconds(1))
            {
                return false;
            }
        }

        return !jwt.TryGetPayloadValue<object>(JwtRegisteredClaimNames.Nbf, out _) || expires - jwt.ValidFrom <= longest;
    }

    private bool IsIssuedInTheFuture(DateTime issuedAt) => issuedAt > time.GetUtcNow().UtcDateTime + ClockSkew;

    // Our clock (TimeProvider), not DateTime.UtcNow, so expiry is testable; exp is mandatory. Validated tokens
    // (ValidatedTokens) are checked again with the same rule on every hit.
    private bool IsWithinLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters) =>
        IsWithinLifetime(notBefore, expires);

    private bool IsWithinLifetime(DateTime? notBefore, DateTime? expires)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return expires is { } exp
            && now < exp.ToUniversalTime() + ClockSkew
            && (notBefore is not { } nbf || nbf.ToUniversalTime() <= now + ClockSkew);
    }
}
