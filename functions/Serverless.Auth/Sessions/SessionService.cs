using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Auth.Accounts;
using Serverless.Auth.Secrets;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Sessions;

/// <summary>What a signed-in browser holds: the access token, the refresh token and the session they belong to.</summary>
internal sealed record IssuedSession(IssuedToken Access, RefreshToken Refresh, SessionRecord Session);

/// <summary>
/// Refresh sessions: start, rotate with reuse detection, end one, end all. Access tokens carry the
/// session id (<c>sid</c>), so ending a session also ends its access tokens through the revocation list.
/// </summary>
internal sealed partial class SessionService(
    SessionStore store,
    UserRepository users,
    AccessTokens tokens,
    RevocationList revocations,
    ServerKey serverKey,
    TimeProvider time,
    IOptions<SessionLifetimeOptions> options,
    ILogger<SessionService> logger)
{
    /// <summary>How many rotations back a retired token is still recognised as this session's (reuse detection).</summary>
    public const int MaxGenerationsBack = 1000;

    public const int MaxUserAgentLength = 256;
    private const int MaxRotationAttempts = 5;

    private readonly SessionLifetimeOptions settings = options.Value;

    /// <param name="deviceId">The device cookie the response leaves in this browser: the session is bound to it (grace window).</param>
    /// <param name="notBefore">A cut-off just written (password change): the session starts at it, so the cut-off spares it.</param>
    /// <param name="amr">How the user signed in (RFC 8176); null: a password.</param>
    /// <param name="secondFactorAt">When a second factor was checked for this sign-in; null: none was.</param>
    /// <param name="startedAt">
    /// The session's start time as the caller took it, before reading the account it signs in: a cut-off written after that
    /// read (a disable the read missed) then ends this session. Null: now.
    /// </param>
    public async Task<IssuedSession> StartAsync(
        string userId, string email, bool emailConfirmed, bool remember, string? userAgent, CancellationToken cancellationToken,
        string? deviceId = null, DateTimeOffset? notBefore = null, IReadOnlyList<string>? amr = null, DateTimeOffset? secondFactorAt = null,
        DateTimeOffset? startedAt = null)
    {
        var now = time.GetUtcNow();
        var from = startedAt is { } taken && taken < now ? taken : now;
        var createdAt = Milliseconds.Floor(notBefore is { } floor && floor > from ? floor : from);
        var refresh = RefreshToken.Start(userId, RefreshToken.NewSessionId());
        var absolute = now + settings.Absolute;
        var session = new SessionRecord(
            userId, refresh.SessionId, email, createdAt, now, absolute, Min(now + settings.Idle, absolute), remember,
            Truncate(userAgent), refresh.Generation, refresh.SecretHash, now, EmailConfirmed: emailConfirmed)
        {
            DeviceHash = deviceId is null ? "" : DeviceBinding.Of(deviceId),
            Amr = string.Join(' ', amr ?? ["pwd"]),
            SecondFactorAt = secondFactorAt,
        };

        // The user's other sessions are listed while the new one is written: beyond the cap, the least recently used end.
        var listing = store.ListAsync(userId, cancellationToken);
        await Task.WhenAll(store.AddAsync(session, cancellationToken), listing);
        var others = (await listing).Where(s => s.SessionId != session.SessionId && now < ExpiryOf(s)).ToList();
        foreach (var old in others.OrderBy(s => s.LastUsedAt).Take(others.Count + 1 - settings.MaxPerUser))
        {
            LogSessionCapReached(logger, userId, old.SessionId);
            await EndAsync(userId, old.SessionId, cancellationToken);
        }

        return new IssuedSession(Issue(session), refresh, session);
    }

    /// <summary>
    /// Rotates the presented refresh token. Null: no session (missing, unknown, expired, ended, or a
    /// reused token, which also ends the whole session). A session bound to a browser (its device cookie)
    /// refreshes only with that browser's device cookie; its just-retired token within the grace window is
    /// shared with that browser alone and, without it, ends the session. A value that matches no stored session (junk, or
    /// a well-formed value planted by a sibling subdomain) counts as absent. Several values that do (a
    /// stale copy) are tried newest first, only if they all belong to one user, and without reuse
    /// detection: a stale duplicate must not end the session, a planted one must not switch users.
    /// </summary>
    /// <param name="deviceIds">The device ids of the device cookies the request carries (the session's binding).</param>
    /// <param name="reuseDetected">Told of a session ended because a copy of its refresh token was presented (the user and session id, and how it showed).</param>
    public async Task<IssuedSession?> RefreshAsync(
        IReadOnlyList<string> presented, IReadOnlyList<string> deviceIds, CancellationToken cancellationToken, Func<string, string, string, Task>? reuseDetected = null)
    {
        var tokens = presented.Select(p => RefreshToken.TryParse(p, out var t) ? t : null).OfType<RefreshToken>().ToList();
        if (tokens.Count == 0 || tokens.Select(t => t.UserId).Distinct(StringComparer.Ordinal).Count() > 1)
        {
            return null;
        }

        // The account is read alongside: the tokens carry its email and confirmation as they are now (an email
        // changed or confirmed since the session started), and a deleted account refreshes nothing.
        var userId = tokens[0].UserId;
        var accountRead = users.FindByIdAsync(userId, emailHint: null, cancellationToken);
        var found = new List<(RefreshToken Token, SessionRecord Session)>();
        foreach (var token in tokens.OrderByDescending(t => t.Generation))
        {
            if (await store.GetAsync(token.UserId, token.SessionId, cancellationToken) is { } session)
            {
                found.Add((token, session));
            }
        }

        var account = await accountRead;
        if (found.Count == 0)
        {
            return null;
        }

        // An account the previous release stored is found through the session's address.
        account ??= await users.FindByIdAsync(userId, found[0].Session.Email, cancellationToken);
        if (account is null || account.Disabled)
        {
            // A disabled account's sessions were ended; one that escaped (its sign-in raced the disable) refreshes nothing.
            return null;
        }

        var deviceHashes = deviceIds.Select(DeviceBinding.Of).ToList();
        foreach (var (token, session) in found)
        {
            if (await RefreshAsync(token, session, account, deviceHashes, detectReuse: found.Count == 1, reuseDetected, cancellationToken) is { } issued)
            {
                return issued;
            }
        }

        return null;
    }

    private async Task<IssuedSession?> RefreshAsync(
        RefreshToken token, SessionRecord? session, UserAccount account, List<string> deviceHashes, bool detectReuse,
        Func<string, string, string, Task>? reuseDetected, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxRotationAttempts; attempt++)
        {
            session ??= await store.GetAsync(token.UserId, token.SessionId, cancellationToken);
            var now = time.GetUtcNow();
            if (session is null)
            {
                return null;
            }

            if (now >= ExpiryOf(session) || revocations.IsSessionEnded(session.UserId, session.SessionId, session.CreatedAt))
            {
                await store.DeleteAsync(session.UserId, session.SessionId, cancellationToken);
                return null;
            }

            session = session with { Email = account.Email, EmailConfirmed = account.EmailConfirmed };
            var fromItsBrowser = session.DeviceHash.Length > 0 && deviceHashes.Contains(session.DeviceHash, StringComparer.Ordinal);
            if (token.Generation == session.Generation && token.SecretHash == session.CurrentHash)
            {
                if (session.DeviceHash.Length > 0 && !fromItsBrowser)
                {
                    // The refresh cookie without the device cookie it travels with: a copy. Refused; the browser goes on.
                    LogRefreshWithoutDevice(logger, session.UserId, session.SessionId);
                    return null;
                }

                var successor = token.Successor(serverKey.Keys[0]);
                var rotated = session with
                {
                    Generation = successor.Generation,
                    CurrentHash = successor.SecretHash,
                    RotatedAt = now,
                    LastUsedAt = now,
                    ExpiresAt = Min(now + settings.Idle, session.AbsoluteExpiresAt),
                    // A row from before the binding existed is bound by its first rotation.
                    DeviceHash = session.DeviceHash.Length > 0 ? session.DeviceHash : deviceHashes.FirstOrDefault() ?? "",
                };
                if (await store.TryReplaceAsync(rotated, cancellationToken))
                {
                    return await UnlessCutOffAsync(new IssuedSession(Issue(session), successor, rotated), cancellationToken);
                }

                // Another request rotated this token first: read again, and share its successor below.
                session = null;
                continue;
            }

            if (token.Generation == session.Generation - 1 && now - session.RotatedAt <= settings.ReuseGrace
                && serverKey.Keys.Select(token.Successor).FirstOrDefault(s => s.SecretHash == session.CurrentHash) is { } shared)
            {
                if (fromItsBrowser)
                {
                    // A racing tab or a retry after a lost response of the same browser: the same successor, no second chain.
                    return await UnlessCutOffAsync(new IssuedSession(Issue(session), shared, session), cancellationToken);
                }

                if (session.DeviceHash.Length > 0 && detectReuse)
                {
                    // The just-retired token without the browser's device cookie: a copy of the cookies rides along. End it all.
                    LogGraceWithoutDevice(logger, session.UserId, session.SessionId);
                    await EndAsync(session.UserId, session.SessionId, cancellationToken);
                    await (reuseDetected?.Invoke(session.UserId, session.SessionId, "without_device") ?? Task.CompletedTask);
                }

                return null;
            }

            if (detectReuse && IsRetiredTokenOf(session, token))
            {
                // A genuine but retired token: someone else holds (or held) the chain. End the whole session.
                LogReuseDetected(logger, session.UserId, session.SessionId);
                await EndAsync(session.UserId, session.SessionId, cancellationToken);
                await (reuseDetected?.Invoke(session.UserId, session.SessionId, "retired_token") ?? Task.CompletedTask);
            }

            return null;
        }

        return null;
    }

    /// <summary>
    /// The rotation is written; a sign-out everywhere on another instance may have cut the session off a
    /// moment before without this instance having synced it yet. Storage decides: then the session is gone.
    /// </summary>
    private async Task<IssuedSession?> UnlessCutOffAsync(IssuedSession issued, CancellationToken cancellationToken)
    {
        var session = issued.Session;
        if (!await revocations.IsCutOffInStorageAsync(session.UserId, session.CreatedAt, cancellationToken))
        {
            return issued;
        }

        await store.DeleteAsync(session.UserId, session.SessionId, cancellationToken);
        return null;
    }

    /// <summary>The stored session row, or null.</summary>
    public Task<SessionRecord?> FindAsync(string userId, string sessionId, CancellationToken cancellationToken) =>
        store.GetAsync(userId, sessionId, cancellationToken);

    /// <summary>The session the presented refresh token currently speaks for (logout): null unless it is that session's live token.</summary>
    public async Task<SessionRecord?> FindCurrentAsync(string? presented, CancellationToken cancellationToken)
    {
        if (!RefreshToken.TryParse(presented, out var token))
        {
            return null;
        }

        var session = await store.GetAsync(token.UserId, token.SessionId, cancellationToken);
        return session is not null && token.Generation == session.Generation && token.SecretHash == session.CurrentHash ? session : null;
    }

    /// <summary>Ends one session: its refresh token is deleted and its access tokens revoked on every instance. False when it did not exist.</summary>
    public async Task<bool> EndAsync(string userId, string sessionId, CancellationToken cancellationToken)
    {
        // Revoke first: if the delete then fails, the session is already dead for verify and refresh.
        await revocations.RevokeSessionAsync(sessionId, cancellationToken);
        return await store.DeleteAsync(userId, sessionId, cancellationToken);
    }

    /// <summary>Ends a live session of this user; false when the user has no such session (never touches another user's).</summary>
    public async Task<bool> EndOwnAsync(string userId, string sessionId, CancellationToken cancellationToken) =>
        await store.GetAsync(userId, sessionId, cancellationToken) is { } session
        && time.GetUtcNow() < ExpiryOf(session)
        && await EndAsync(userId, sessionId, cancellationToken);

    /// <summary>Ends every session of the user except <paramref name="keepSessionId"/>.</summary>
    public async Task EndOthersAsync(string userId, string? keepSessionId, CancellationToken cancellationToken)
    {
        foreach (var session in await store.ListAsync(userId, cancellationToken))
        {
            if (session.SessionId != keepSessionId)
            {
                await EndAsync(userId, session.SessionId, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Sign-out everywhere: a per-user cut-off ends every access token already issued (also of a login
    /// racing this call), and every stored session is deleted.
    /// </summary>
    /// <returns>The cut-off: a session started at or after it (<see cref="StartAsync"/>'s notBefore) lives.</returns>
    public async Task<DateTimeOffset> EndAllAsync(string userId, CancellationToken cancellationToken)
    {
        var cutoff = await revocations.RevokeUserAsync(userId, settings.Absolute, cancellationToken);
        foreach (var session in await store.ListAsync(userId, cancellationToken))
        {
            await store.DeleteAsync(userId, session.SessionId, cancellationToken);
        }

        return cutoff;
    }

    /// <summary>The user's live sessions, newest first.</summary>
    public async Task<List<SessionRecord>> ListAsync(string userId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return [.. (await store.ListAsync(userId, cancellationToken))
            .Where(s => now < ExpiryOf(s) && !revocations.IsSessionEnded(userId, s.SessionId, s.CreatedAt))
            .OrderByDescending(s => s.CreatedAt)];
    }

    /// <summary>
    /// New tokens for a session that goes on (after a password change): a fresh random refresh chain,
    /// so tokens of the old chain are no longer recognised; the session id and its lifetimes stay.
    /// </summary>
    public async Task<IssuedSession?> ReissueAsync(string userId, string sessionId, CancellationToken cancellationToken)
    {
        var session = await store.GetAsync(userId, sessionId, cancellationToken);
        if (session is null)
        {
            return null;
        }

        var now = time.GetUtcNow();
        var refresh = RefreshToken.Start(userId, sessionId) with { Generation = session.Generation + 1 };
        var renewed = session with
        {
            Generation = refresh.Generation,
            CurrentHash = refresh.SecretHash,
            RotatedAt = now,
            LastUsedAt = now,
            ExpiresAt = Min(now + settings.Idle, session.AbsoluteExpiresAt),
        };
        return await store.TryReplaceAsync(renewed, cancellationToken)
            ? new IssuedSession(Issue(session), refresh, renewed)
            : null;
    }

    /// <summary>An access token for the session, as its row says (the address's confirmation travels with it).</summary>
    public IssuedToken Issue(SessionRecord session) => tokens.Issue(
        session.UserId, session.Email, session.SessionId, session.EmailConfirmed, session.CreatedAt,
        session.Amr.Split(' ', StringSplitOptions.RemoveEmptyEntries), session.SecondFactorAt);

    public DateTimeOffset ExpiryOf(SessionRecord session) => Min(session.LastUsedAt + settings.Idle, session.AbsoluteExpiresAt);

    /// <summary>True when walking the successor chain from <paramref name="token"/> reaches the session's current secret.</summary>
    private bool IsRetiredTokenOf(SessionRecord session, RefreshToken token)
    {
        var steps = session.Generation - token.Generation;
        if (steps is < 1 or > MaxGenerationsBack)
        {
            return false;
        }

        var key = serverKey.Keys[0];
        var walked = token;
        for (var i = 0; i < steps; i++)
        {
            walked = walked.Successor(key);
        }

        return walked.SecretHash == session.CurrentHash;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static string Truncate(string? userAgent) =>
        string.IsNullOrEmpty(userAgent) ? "" : userAgent.Length <= MaxUserAgentLength ? userAgent : userAgent[..MaxUserAgentLength];

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refresh token reuse detected: session {SessionId} of user {UserId} ended")]
    private static partial void LogReuseDetected(ILogger logger, string userId, string sessionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A just-retired refresh token came without its browser's device cookie: session {SessionId} of user {UserId} ended")]
    private static partial void LogGraceWithoutDevice(ILogger logger, string userId, string sessionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A refresh token came without its browser's device cookie: refused for session {SessionId} of user {UserId}")]
    private static partial void LogRefreshWithoutDevice(ILogger logger, string userId, string sessionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId} reached the session cap: least recently used session {SessionId} ended")]
    private static partial void LogSessionCapReached(ILogger logger, string userId, string sessionId);
}
