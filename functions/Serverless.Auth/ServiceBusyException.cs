namespace Serverless.Auth;

/// <summary>
/// Thrown when the instance sheds load (hashing slots full). The endpoint dispatcher turns it into
/// 503 + Retry-After; it never reaches the host.
/// </summary>
internal sealed class ServiceBusyException(string message, TimeSpan retryAfter) : Exception(message)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}
