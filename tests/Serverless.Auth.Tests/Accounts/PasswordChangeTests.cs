using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Auth.Storage;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Accounts;

/// <summary>
/// A password change is all or nothing, and leaves no earlier access token alive (issue 22, items 3 and 9):
/// real Azurite, a storage stall injected at each step (<see cref="StorageHook"/>).
/// </summary>
public sealed class PasswordChangeTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string OldPassword = "plum-orchard-lantern-4821";
    private const string NewPassword = "copper-heron-glacier-9917";
    private readonly StorageHook storage = new();
    private TestApi api = null!;
    private string users = "";
    private string revocations = "";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var settings = TestApi.DefaultSettings(azurite.ConnectionString);
        settings["Auth:Storage:MaxRetries"] = "0";
        (users, revocations) = (settings["Auth:Storage:UsersTable"]!, settings["Auth:Storage:RevocationsTable"]!);
        api = await TestApi.StartAsync(settings, builder =>
            {
                builder.Services.PostConfigure<StorageOptions>(o => o.PipelineObserver = storage);
                builder.Services.RemoveMailAndCleanup();
            }, cancellationToken: Ct);
    }

    public ValueTask DisposeAsync() => api.DisposeAsync();

    private async Task<(SessionClient Laptop, SessionClient Phone, string Email)> TwoSessionsAsync()
    {
        var email = Emails.Unique("change");
        var laptop = new SessionClient(api.Client);
        Assert.Equal(HttpStatusCode.Created, (await laptop.SignupAsync(email, OldPassword)).StatusCode);
        var phone = new SessionClient(api.Client);
        Assert.Equal(HttpStatusCode.OK, (await phone.LoginAsync(email, OldPassword)).StatusCode);
        return (laptop, phone, email);
    }

    private async Task<HttpStatusCode> LoginAsync(string email, string password) => (await new SessionClient(api.Client).LoginAsync(email, password)).StatusCode;

    private bool IsPasswordWrite(string method, string table) => method != "GET" && table == users;

    public static TheoryData<string, bool> Stalls => new()
    {
        { "password write, not applied", false },
        { "password write, applied but its answer lost", true },
        { "sign-out after the write", true },
    };

    [Theory]
    [MemberData(nameof(Stalls))]
    public async Task AStallAtAnyStepLeavesTheOldPasswordWorkingOrTheChangeComplete(string step, bool applied)
    {
        var (laptop, phone, email) = await TwoSessionsAsync();
        var passwordWritten = false;
        bool IsStep(string method, string table)
        {
            if (!step.StartsWith("sign-out", StringComparison.Ordinal))
            {
                return IsPasswordWrite(method, table);
            }

            // The cut-off written after the password: the second sign-out.
            passwordWritten |= IsPasswordWrite(method, table);
            return passwordWritten && method == "PUT" && table == revocations;
        }

        if (applied)
        {
            storage.Arm(IsStep, after: StorageHook.Stall);
        }
        else
        {
            storage.Arm(IsStep, before: StorageHook.Stall);
        }

        var response = await laptop.ChangePasswordAsync(OldPassword, NewPassword);

        Assert.True(storage.Fired, step);
        await ResponseAssert.ProblemAsync(response, HttpStatusCode.ServiceUnavailable);
        // Every session was ended before the password was written: whatever landed, no session from before goes on.
        await ResponseAssert.ProblemAsync(await phone.RefreshAsync(), HttpStatusCode.Unauthorized);
        await ResponseAssert.ProblemAsync(await laptop.RefreshAsync(), HttpStatusCode.Unauthorized);
        var (works, refused) = applied ? (NewPassword, OldPassword) : (OldPassword, NewPassword);
        Assert.Equal(HttpStatusCode.OK, await LoginAsync(email, works));
        Assert.Equal(HttpStatusCode.Unauthorized, await LoginAsync(email, refused));
    }

    [Fact]
    public async Task EveryEarlierAccessTokenOfTheChangingSessionStopsWorkingButTheNewOneWorks()
    {
        var (laptop, _, _) = await TwoSessionsAsync();
        var first = laptop.Access!;
        Assert.Equal(HttpStatusCode.OK, (await laptop.RefreshAsync()).StatusCode);
        var second = laptop.Access!;

        var changed = await laptop.ChangePasswordAsync(OldPassword, NewPassword);

        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(second, laptop.Access);
        await ResponseAssert.ProblemAsync(await api.VerifyAsync(bearer: first), HttpStatusCode.Unauthorized);
        await ResponseAssert.ProblemAsync(await api.VerifyAsync(bearer: second), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await api.VerifyAsync(bearer: laptop.Access)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await laptop.RefreshAsync()).StatusCode);
    }
}
