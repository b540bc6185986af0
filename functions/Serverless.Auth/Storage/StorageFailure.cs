using Azure;

namespace Serverless.Auth.Storage;

/// <summary>Tells a storage outage (worth a 503) apart from a bug (which must surface).</summary>
internal static class StorageFailure
{
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        // Status 0: no response at all (connection refused, DNS, reset). 408/429/5xx: the service is struggling.
        RequestFailedException e => e.Status is 0 or 408 or 429 or >= 500,
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
}
