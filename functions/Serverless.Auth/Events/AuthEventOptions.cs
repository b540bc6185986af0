using Microsoft.Extensions.Options;

namespace Serverless.Auth.Events;

/// <summary>Settings under <c>Auth__Events__*</c>: how long events are kept, and how long a request waits for the <see cref="IAuthEventSink"/>s.</summary>
public sealed class AuthEventOptions
{
    /// <summary>The configuration section: <c>Auth:Events</c>.</summary>
    public const string Section = "Auth:Events";

    /// <summary>
    /// How many days <see href="security-events-and-admin.md">security events</see> are kept (1-3650); the storage clean-up
    /// drops older event tables whole.
    /// </summary>
    public int RetentionDays { get; set; } = 90;

    /// <summary>
    /// Whether events are stored in the event tables (the activity route and the admin event log read them). <c>false</c>:
    /// events are not stored (both answer empty lists); they are still logged and given to the event sinks.
    /// </summary>
    public bool StoreInTables { get; set; } = true;

    /// <summary>
    /// The longest a request waits for an <see href="extension-points.md">account event sink</see> before it answers, in
    /// milliseconds (10-30000); the sink's token is then canceled.
    /// </summary>
    public int SinkTimeoutMilliseconds { get; set; } = 2000;

    internal TimeSpan SinkTimeout => TimeSpan.FromMilliseconds(SinkTimeoutMilliseconds);
}

internal sealed class AuthEventOptionsValidator : IValidateOptions<AuthEventOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthEventOptions options)
    {
        var failures = new List<string>();
        if (options.SinkTimeoutMilliseconds is < 10 or > 30000)
        {
            failures.Add("Auth__Events__SinkTimeoutMilliseconds must be between 10 and 30000: the longest a request waits for an event sink before it answers.");
        }

        if (options.RetentionDays is < 1 or > 3650)
        {
            failures.Add("Auth__Events__RetentionDays must be between 1 and 3650: how many days security events are kept.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
