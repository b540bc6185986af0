namespace Serverless.Auth.Tokens;

/// <summary>
/// The precision of session start times and per-user cut-offs: milliseconds, what a JWT number and a
/// table's DateTime both keep exactly. A start is floored and a cut-off rounded up, so a session that began
/// before a cut-off always compares as earlier, even within one millisecond.
/// </summary>
internal static class Milliseconds
{
    public static DateTimeOffset Floor(DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);

    public static DateTimeOffset Ceiling(DateTimeOffset t) => t.UtcTicks % TimeSpan.TicksPerMillisecond == 0 ? Floor(t) : Floor(t).AddMilliseconds(1);
}
