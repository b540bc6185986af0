using Azure;
using Serverless.Auth.Storage;

namespace Serverless.Auth.Tests.Resilience;

/// <summary>Which exceptions are a storage outage or refusal (503 + Retry-After) and which are bugs (500).</summary>
public sealed class StorageFailureTests
{
    [Fact]
    public void AzureCoresPerTryTimeoutsAfterTheRetryBudgetAreAnOutage()
    {
        // The shape Azure.Core throws when every try hit ClientOptions.Retry.NetworkTimeout (seen under load).
        using var timeout = new CancellationTokenSource();
        timeout.Cancel();
        var perTry = new TaskCanceledException(
            "The operation was cancelled because it exceeded the configured timeout of 0:00:03.",
            new TaskCanceledException("The operation was canceled.", new IOException("Unable to read data from the transport connection")),
            timeout.Token);

        Assert.True(StorageFailure.IsUnavailable(new AggregateException("Retry failed after 3 tries.", perTry, perTry, perTry)));
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(503, true)]
    [InlineData(429, true)]
    [InlineData(403, true)]
    [InlineData(401, true)]
    [InlineData(404, false)]
    [InlineData(409, false)]
    [InlineData(412, false)]
    public void StatusDecidesForServiceErrors(int status, bool outage) =>
        Assert.Equal(outage, StorageFailure.IsUnavailable(new RequestFailedException(status, "x")));

    [Fact]
    public void AManagedIdentityWithoutATokenIsAnOutageAndLogsNameTheStatus()
    {
        Assert.True(StorageFailure.IsUnavailable(new Azure.Identity.AuthenticationFailedException("ManagedIdentityCredential authentication failed")));
        Assert.Equal("RequestFailedException 403 AuthorizationPermissionMismatch",
            StorageFailure.Describe(new RequestFailedException(403, "This request is not authorized", "AuthorizationPermissionMismatch", null)));
        Assert.Equal("AggregateException of TaskCanceledException", StorageFailure.Describe(new AggregateException(new TaskCanceledException())));
    }

    [Fact]
    public void BugsAreNotOutages()
    {
        Assert.False(StorageFailure.IsUnavailable(new InvalidOperationException()));
        Assert.False(StorageFailure.IsUnavailable(new AggregateException(new TimeoutException(), new ArgumentException("bug"))));
    }
}
