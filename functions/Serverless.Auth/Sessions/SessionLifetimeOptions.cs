using Microsoft.Extensions.Options;

namespace Serverless.Auth.Sessions;

/// <summary>Settings under <c>Auth__Session__*</c>: how long a refresh session lives.</summary>
public sealed class SessionLifetimeOptions
{
    /// <summary>The configuration section these settings bind to (<c>Auth__Session__*</c> environment variables).</summary>
    public const string Section = "Auth:Session";

    /// <summary>
    /// Sliding: a session unused this many minutes ends (14 days by default); at least 1 and at most
    /// <see cref="AbsoluteMinutes"/>. See <see href="sessions.md">sessions</see>.
    /// </summary>
    public int IdleMinutes { get; set; } = 20160;

    /// <summary>Hard cap in minutes from login, however active the session (30 days by default); 1-525600 (a year).</summary>
    public int AbsoluteMinutes { get; set; } = 43200;

    /// <summary>
    /// A just-retired refresh token presented again within this many seconds, with the session's device cookie, still gets
    /// the session (tabs racing, a retry after a lost response); later it counts as theft and ends the session. 0-60.
    /// </summary>
    public int ReuseGraceSeconds { get; set; } = 10;

    /// <summary>Live sessions one user may hold; a new one beyond it ends the least recently used. 1-1000.</summary>
    public int MaxPerUser { get; set; } = 50;

    internal TimeSpan Idle => TimeSpan.FromMinutes(IdleMinutes);
    internal TimeSpan Absolute => TimeSpan.FromMinutes(AbsoluteMinutes);
    internal TimeSpan ReuseGrace => TimeSpan.FromSeconds(ReuseGraceSeconds);
}

internal sealed class SessionLifetimeOptionsValidator : IValidateOptions<SessionLifetimeOptions>
{
    public ValidateOptionsResult Validate(string? name, SessionLifetimeOptions options)
    {
        var failures = new List<string>();
        if (options.AbsoluteMinutes is < 1 or > 525600)
        {
            failures.Add("Auth__Session__AbsoluteMinutes must be between 1 and 525600 (a year).");
        }

        if (options.IdleMinutes < 1 || options.IdleMinutes > options.AbsoluteMinutes)
        {
            failures.Add("Auth__Session__IdleMinutes must be at least 1 and at most Auth__Session__AbsoluteMinutes.");
        }

        if (options.ReuseGraceSeconds is < 0 or > 60)
        {
            failures.Add("Auth__Session__ReuseGraceSeconds must be between 0 and 60: a longer window lets a stolen refresh token ride along unnoticed.");
        }

        if (options.MaxPerUser is < 1 or > 1000)
        {
            failures.Add("Auth__Session__MaxPerUser must be between 1 and 1000: every login lists the user's sessions to enforce it.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
