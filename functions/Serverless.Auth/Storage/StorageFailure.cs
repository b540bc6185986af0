using Azure;
using Azure.Identity;

namespace Serverless.Auth.Storage;

/// <summary>Tells a storage outage (worth a 503) apart from a bug (which must surface).</summary>
internal static class StorageFailure
{
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        // Status 0: no response at all (connection refused, DNS, reset). 408/429/5xx: the service is struggling.
        // 401/403: storage refused this identity, which no request can fix: in the first minutes after
        // provisioning a role assignment has not propagated yet (the operator sees the status in the log).
        RequestFailedException e => e.Status is 0 or 401 or 403 or 408 or 429 or >= 500,
        // The managed identity endpoint did not give a token (not ready yet, or throttled).
        AuthenticationFailedException or CredentialUnavailableException => true,
        // Azure.Core's retry policy wraps the per-try failures once its budget is spent.
        AggregateException e => e.InnerExceptions.Count > 0 && e.InnerExceptions.All(IsUnavailable),
        HttpRequestException => true,
        // A per-try network timeout surfaces as a cancellation the caller did not ask for (Azure.Core
        // cancels its own timeout token, so the exception's token is not the caller's). Callers check
        // their own token before treating a cancellation as an outage.
        TaskCanceledException => true,
        TimeoutException => true,
        _ => false,
    };

    /// <summary>For logs: the exception type and, for a service answer, its status and error code (never a message, which may quote data).</summary>
    public static string Describe(Exception exception) => exception switch
    {
        RequestFailedException e => $"{nameof(RequestFailedException)} {e.Status} {e.ErrorCode}".TrimEnd(),
        AggregateException { InnerExceptions.Count: > 0 } e => $"{nameof(AggregateException)} of {Describe(e.InnerExceptions[^1])}",
        _ => exception.GetType().Name,
    };
}
