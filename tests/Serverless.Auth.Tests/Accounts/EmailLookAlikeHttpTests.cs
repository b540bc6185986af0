using System.Net;
using Azure.Data.Tables;
using Microsoft.IdentityModel.JsonWebTokens;
using Serverless.Auth.Accounts;
using Serverless.Auth.Storage;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Accounts;

/// <summary>
/// Through the standalone host on Azurite: an address that shows the same as an existing one is the
/// same account (409) or refused (400), never a second row; long Unicode addresses work end to end.
/// </summary>
public sealed class EmailLookAlikeHttpTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Password = "plum-orchard-lantern-4821";
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;
    private TestApi api = null!;

    public async ValueTask InitializeAsync() => api = await azurite.StartApiAsync();

    public ValueTask DisposeAsync() => api.DisposeAsync();

    [Theory]
    [InlineData("ada@example.com", "ada\u200B@example.com", HttpStatusCode.BadRequest)]
    [InlineData("ada@example.com", "a\u200Cda@example.com", HttpStatusCode.BadRequest)]
    [InlineData("ada@example.com", "ad\u00ADa@example.com", HttpStatusCode.BadRequest)]
    [InlineData("ada@example.com", "\u202Eada@example.com", HttpStatusCode.BadRequest)]
    [InlineData("ada@example.com", "ada@exa\u200Bmple.com", HttpStatusCode.BadRequest)]
    [InlineData("ada@example.com", "ａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ", HttpStatusCode.Conflict)]
    [InlineData("ada@example.com", "ADA@Example.com", HttpStatusCode.Conflict)]
    [InlineData("ada@example.com", "ada@example.com.", HttpStatusCode.Conflict)]
    [InlineData("ada@bücher.example", "ada@xn--bcher-kva.example", HttpStatusCode.Conflict)]
    [InlineData("ada@xn--bcher-kva.example", "ada@BÜCHER.example", HttpStatusCode.Conflict)]
    [InlineData("ada@example.com", "\"ada\"@example.com", HttpStatusCode.BadRequest)]
    [InlineData("ada@example.com", "\"<img src=x onerror=alert(1)>\"@example.com", HttpStatusCode.BadRequest)]
    [InlineData("ada@example.com", "ada@[127.0.0.1]", HttpStatusCode.BadRequest)]
    [InlineData("ada@example.com", "ada@[IPv6:2001:db8::1]", HttpStatusCode.BadRequest)]
    public async Task LookAlikeSignupNextToAnExistingAccountIsTheSameAccountOrRefused(string existing, string lookAlike, HttpStatusCode expected)
    {
        Assert.Equal(HttpStatusCode.Created, (await api.SignupAsync(existing, Password)).StatusCode);

        var problem = await ResponseAssert.ProblemAsync(await api.SignupAsync(lookAlike, Password), expected);

        if (expected == HttpStatusCode.BadRequest)
        {
            var reason = problem.GetProperty("errors").GetProperty("email")[0].GetString();
            Assert.False(string.IsNullOrWhiteSpace(reason));
        }

        Assert.Single(await UserRowsAsync());
    }

    [Fact]
    public async Task RefusalsNameTheReason()
    {
        async Task<string?> ReasonAsync(string email) =>
            (await ResponseAssert.ProblemAsync(await api.SignupAsync(email, Password), HttpStatusCode.BadRequest))
                .GetProperty("errors").GetProperty("email")[0].GetString();

        Assert.Equal(EmailAddress.InvisibleMessage, await ReasonAsync("ada\u200B@example.com"));
        Assert.Equal(EmailAddress.QuotedMessage, await ReasonAsync("\"<b>ada</b>\"@example.com"));
        Assert.Equal(EmailAddress.IpLiteralMessage, await ReasonAsync("ada@[127.0.0.1]"));
        Assert.Empty(await UserRowsAsync());
    }

    [Fact]
    public async Task ALong200CharacterUnicodeAddressSignsUpAndLogsInWithoutAServerError()
    {
        var address = EmailCanonicalizationTests.LongUnicodeAddress;

        var signup = await api.SignupAsync(address, Password);

        var body = await ResponseAssert.JsonAsync(signup, HttpStatusCode.Created);
        Assert.Equal(address, body.GetProperty("email").GetString());
        Assert.Equal(address, EmailClaim(signup));
        var row = Assert.Single(await UserRowsAsync());
        Assert.Equal(EmailAddress.StorageKey(address), row.PartitionKey);
        Assert.Equal(43, row.PartitionKey.Length);
        var account = (await api.Service<AuthTables>().Users.GetEntityAsync<TableEntity>(row.GetString("AccountId"), "user", cancellationToken: Ct)).Value;
        Assert.Equal(address, account.GetString("Email"));

        var login = await api.LoginAsync(address.ToUpperInvariant(), Password);
        var session = await ResponseAssert.JsonAsync(login, HttpStatusCode.OK);
        Assert.Equal(address, session.GetProperty("email").GetString());
        Assert.Equal(body.GetProperty("userId").GetString(), session.GetProperty("userId").GetString());

        // A wrong password records a backoff row for the address: keyed by the same fixed-size hash.
        await ResponseAssert.ProblemAsync(await api.LoginAsync(address, "not the password at all"), HttpStatusCode.Unauthorized);
        var throttle = Assert.Single(await RowsAsync(api.Service<AuthTables>().LoginThrottle));
        Assert.Equal(EmailAddress.StorageKey(address), throttle.PartitionKey);
    }

    [Fact]
    public async Task LoginWithAnotherFormOfTheAddressReachesTheSameAccountAndShowsTheCanonicalForm()
    {
        var signup = await ResponseAssert.JsonAsync(await api.SignupAsync("Ada@XN--BCHER-KVA.example.", Password), HttpStatusCode.Created);
        Assert.Equal("ada@bücher.example", signup.GetProperty("email").GetString());

        foreach (var form in new[] { "ada@bücher.example", "ＡＤＡ＠ｂüｃｈｅｒ．ｅｘａｍｐｌｅ", "ada@xn--bcher-kva.example" })
        {
            var login = await api.LoginAsync(form, Password);
            var body = await ResponseAssert.JsonAsync(login, HttpStatusCode.OK);
            Assert.Equal(signup.GetProperty("userId").GetString(), body.GetProperty("userId").GetString());
            Assert.Equal("ada@bücher.example", body.GetProperty("email").GetString());
            Assert.Equal("ada@bücher.example", EmailClaim(login));
        }
    }

    [Theory]
    [InlineData("ada\u200B@example.com")]
    [InlineData("\"ada\"@example.com")]
    [InlineData("ada@[127.0.0.1]")]
    public async Task LoginWithARefusedFormIsTheGeneric401(string form)
    {
        Assert.Equal(HttpStatusCode.Created, (await api.SignupAsync("ada@example.com", Password)).StatusCode);

        var problem = await ResponseAssert.ProblemAsync(await api.LoginAsync(form, Password), HttpStatusCode.Unauthorized);

        Assert.False(problem.TryGetProperty("errors", out _));
        Assert.Empty(await RowsAsync(api.Service<AuthTables>().LoginThrottle));
    }

    private static string? EmailClaim(HttpResponseMessage response) =>
        new JsonWebToken(SetCookie.Access(response).Value.ToString()).GetPayloadValue<string>("email");

    /// <summary>The email identities (row "account"): one per address that can sign in. Each points at its account row (row "user").</summary>
    private async Task<List<TableEntity>> UserRowsAsync()
    {
        var rows = await RowsAsync(api.Service<AuthTables>().Users);
        var identities = rows.Where(r => r.RowKey == "account").ToList();
        Assert.Equal(identities.Count, rows.Count(r => r.RowKey == "user"));
        Assert.All(identities, i => Assert.Contains(rows, a => a.RowKey == "user" && a.PartitionKey == i.GetString("AccountId")));
        return identities;
    }

    private static async Task<List<TableEntity>> RowsAsync(TableClient table)
    {
        var rows = new List<TableEntity>();
        await foreach (var row in table.QueryAsync<TableEntity>(cancellationToken: Ct))
        {
            rows.Add(row);
        }

        return rows;
    }
}
