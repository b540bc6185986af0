using System.Net;
using System.Text;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Serverless.Auth.Accounts;
using Serverless.Auth.Passwords;
using Serverless.Auth.Storage;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Accounts;

/// <summary>What lands in Table Storage (real Azurite), and what the app reads back.</summary>
public sealed class StoredStateTests(SharedApi shared) : IClassFixture<SharedApi>
{
    private const string Password = "ocelot-pumpkin-harbor-2201";
    private readonly TestApi api = shared.Api;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SignupStoresANormalizedEmailAndAnArgon2idHashOnly()
    {
        var body = await ResponseAssert.JsonAsync(await api.SignupAsync(" Stored@Example.COM", Password), HttpStatusCode.Created);

        var userId = body.GetProperty("userId").GetString()!;
        var users = api.Service<AuthTables>().Users;
        var account = (await users.GetEntityAsync<TableEntity>(userId, "user", cancellationToken: Ct)).Value;
        Assert.Equal("stored@example.com", account.GetString("Email"));
        Assert.Equal(userId, account.GetString("UserId"));
        Assert.StartsWith("$argon2id$v=19$m=19456,t=2,p=1$", account.GetString("PasswordHash"), StringComparison.Ordinal);
        Assert.DoesNotContain(account, p => p.Value?.ToString()?.Contains(Password, StringComparison.Ordinal) == true);

        // The email identity, at the previous release's account key: it points at the account and names no owner
        // the previous release would recognise (no UserId), with a hash no password matches.
        var identity = (await users.GetEntityAsync<TableEntity>(EmailAddress.StorageKey("stored@example.com"), "account", cancellationToken: Ct)).Value;
        Assert.Equal("email", identity.GetString("Kind"));
        Assert.Equal(userId, identity.GetString("AccountId"));
        Assert.Null(identity.GetString("UserId"));
        Assert.Null(identity.GetString("Email"));
        Assert.StartsWith("$argon2id$v=19$m=19456,t=2,p=1$", identity.GetString("PasswordHash"), StringComparison.Ordinal);
        Assert.NotEqual(account.GetString("PasswordHash"), identity.GetString("PasswordHash"));
    }

    [Fact]
    public async Task LoginUpgradesAHashStoredWithWeakerParameters()
    {
        var weak = PasswordHasher.Compute(Password, Encoding.ASCII.GetBytes("legacy-salt-0001"), new Argon2Parameters(12288, 3, 1)).ToString();
        var repository = api.Service<UserRepository>();
        Assert.True(await repository.TryCreateAsync("legacy-user", "legacy@example.com", weak, DateTimeOffset.UtcNow, emailConfirmed: false, Ct));

        Assert.Equal(HttpStatusCode.OK, (await api.LoginAsync("legacy@example.com", Password)).StatusCode);

        var stored = await repository.FindByEmailAsync("legacy@example.com", Ct);
        Assert.StartsWith("$argon2id$v=19$m=19456,t=2,p=1$", stored!.PasswordHash, StringComparison.Ordinal);
        Assert.NotEqual(weak, stored.PasswordHash);
        Assert.Equal(HttpStatusCode.OK, (await api.LoginAsync("legacy@example.com", Password)).StatusCode);
    }

    [Fact]
    public async Task UpdateWithAStaleETagLosesQuietly()
    {
        var repository = api.Service<UserRepository>();
        Assert.True(await repository.TryCreateAsync("etag-user", "etag@example.com", "hash-1", DateTimeOffset.UtcNow, emailConfirmed: false, Ct));
        var first = (await repository.FindByEmailAsync("etag@example.com", Ct))!;
        Assert.True(await repository.TryUpdatePasswordHashAsync(first, "hash-2", Ct));

        Assert.False(await repository.TryUpdatePasswordHashAsync(first, "hash-3", Ct));

        Assert.Equal("hash-2", (await repository.FindByEmailAsync("etag@example.com", Ct))!.PasswordHash);
    }

    [Fact]
    public async Task LogoutOnOneInstanceRevokesOnAnother()
    {
        // A second instance on the same tables and signing key, as in a scaled-out deployment.
        var first = api;
        await using var second = await TestApi.StartAsync(first.Settings, cancellationToken: Ct);
        var cookie = SetCookie.CookieHeader(await first.SignupAsync("two-instances@example.com", Password));
        Assert.Equal(HttpStatusCode.OK, (await second.VerifyAsync(cookie)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await first.LogoutAsync(cookie)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await first.VerifyAsync(cookie)).StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        HttpStatusCode status;
        while ((status = (await second.VerifyAsync(cookie)).StatusCode) == HttpStatusCode.OK && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, Ct);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public void IdentityModeBuildsClientsForTheTableServiceUri()
    {
        var options = Options.Create(new StorageOptions
        {
            TableServiceUri = new Uri("https://acct.table.core.windows.net"),
            QueueServiceUri = new Uri("https://acct.queue.core.windows.net"),
            ManagedIdentityClientId = "00000000-0000-0000-0000-000000000001",
            UsersTable = "Users",
        });
        Assert.True(new StorageOptionsValidator().Validate(null, options.Value).Succeeded);

        var tables = new AuthTables(options);
        var mail = new Serverless.Auth.Email.MailQueue(options);

        Assert.False(tables.UsesConnectionString);
        Assert.Equal("acct", tables.Users.AccountName);
        Assert.Equal(new Uri("https://acct.table.core.windows.net/Users"), tables.Users.Uri);
        Assert.Equal(new Uri("https://acct.queue.core.windows.net/auth-email"), mail.Requests.Uri);
        Assert.Equal(new Uri("https://acct.queue.core.windows.net/auth-email-poison"), mail.Poison.Uri);
    }

    [Theory]
    [InlineData("UseDevelopmentStorage=true", "https://acct.table.core.windows.net", null, "both set")]
    [InlineData(null, null, null, "is required")]
    [InlineData(null, "http://acct.table.core.windows.net", null, "must be an absolute https URI")]
    [InlineData("UseDevelopmentStorage=true", null, "client-id", "only applies with Auth__Storage__TableServiceUri")]
    [InlineData(null, "https://acct.table.core.windows.net", null, "Auth__Storage__QueueServiceUri is required")]
    public void StorageModesMustNotConflict(string? connectionString, string? uri, string? clientId, string expected)
    {
        var result = new StorageOptionsValidator().Validate(null, new StorageOptions
        {
            ConnectionString = connectionString,
            TableServiceUri = uri is null ? null : new Uri(uri),
            ManagedIdentityClientId = clientId,
            MailQueueRequired = true,
        });

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void AHostThatOnlyChecksSessionsNeedsNoQueue()
    {
        var options = new StorageOptions { TableServiceUri = new Uri("https://acct.table.core.windows.net"), EmailQueue = "" };

        Assert.True(new StorageOptionsValidator().Validate(null, options).Succeeded);
        options.MailQueueRequired = true;
        Assert.True(new StorageOptionsValidator().Validate(null, options).Failed);
    }
}
