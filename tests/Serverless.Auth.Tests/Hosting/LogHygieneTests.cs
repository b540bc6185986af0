using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Logging;
using Serverless.Auth.Tests.Infrastructure;

namespace Serverless.Auth.Tests.Hosting;

public sealed class LogHygieneTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task AFullFlowNeverLogsPasswordsTokensCookiesOrEmails()
    {
        // A host of its own: its log collector must hold this flow's records only.
        await using var api = await azurite.StartApiAsync(s => s["Logging:LogLevel:Default"] = "Trace", builder => builder.Logging.AddFakeLogging());
        const string email = "private.person@example.com";
        const string password = "secret-meadow-falcon-7781";

        var signup = await api.SignupAsync(email, password);
        var token = SetCookie.Access(signup).Value.ToString();
        await api.LoginAsync(email, password + "-wrong");
        var login = await api.LoginAsync(email, password);
        var loginToken = SetCookie.Access(login).Value.ToString();
        await api.VerifyAsync($"auth={token}");
        await api.VerifyAsync(bearer: loginToken);
        await api.LogoutAsync($"auth={token}");
        await api.SignupAsync(email, password);
        await api.VerifyAsync($"auth={token}");

        var records = api.App.Services.GetFakeLogCollector().GetSnapshot();
        Assert.NotEmpty(records);
        Assert.Contains(records, r => r.Message.Contains("signed up", StringComparison.Ordinal));
        var everything = string.Join("\n", records.Select(r => $"{r.Message} {r.Exception} {string.Join(",", r.StructuredState ?? [])}"));
        Assert.DoesNotContain(password, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(token, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(loginToken, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Split('.')[2], everything, StringComparison.Ordinal);
        Assert.DoesNotContain("private.person", everything, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(api.Settings["Auth:Jwt:SigningKey"]!, everything, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, signup.StatusCode);
    }
}
