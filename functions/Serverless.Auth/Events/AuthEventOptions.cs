using Microsoft.Extensions.Options;

namespace Serverless.Auth.Events;

/// <summary>Settings under <c>Auth__Events__*</c>: how long a request waits for the <see cref="IAuthEventSink"/>s.</summary>
public sealed class AuthEventOptions
{
    /// <summary>The configuration section: <c>Auth:Events</c>.</summary>
    public const string Section = "Auth:Events";

    /// <summary>The longest a request waits for a sink before it answers (the sink's token is then canceled).</summary>
    public int SinkTimeoutMilliseconds { get; set; } = 2000;

    internal TimeSpan SinkTimeout => TimeSpan.FromMilliseconds(SinkTimeoutMilliseconds);
}

internal sealed class AuthEventOptionsValidator : IValidateOptions<AuthEventOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthEventOptions options) =>
        options.SinkTimeoutMilliseconds is < 10 or > 30000
            ? ValidateOptionsResult.Fail("Auth__Events__SinkTimeoutMilliseconds must be between 10 and 30000: the longest a request waits for an event sink before it answers.")
            : ValidateOptionsResult.Success;
}
