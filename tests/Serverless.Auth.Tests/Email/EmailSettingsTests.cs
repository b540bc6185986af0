using System.Text.Json.Nodes;
using Serverless.Auth.Email;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Email;

/// <summary>The mail settings are checked before the host listens; host.json and the Standalone sender agree on the queue mechanics.</summary>
public sealed class EmailSettingsTests(AzuriteFixture azurite)
{
    [Theory]
    [InlineData("Auth:Email:SmtpHost", "", "Auth__Email__SmtpHost is required")]
    [InlineData("Auth:Email:SmtpHost", "smtp.example.com", "Auth__Email__UseTls=None")]
    [InlineData("Auth:Email:SmtpPort", "70000", "Auth__Email__SmtpPort")]
    [InlineData("Auth:Email:UseTls", "Sometimes", "Auth:Email:UseTls")]
    [InlineData("Auth:Email:SmtpPassword", "pw-without-user", "Auth__Email__SmtpUser is not")]
    [InlineData("Auth:Email:From", "not an address", "Auth__Email__From is required")]
    [InlineData("Auth:Email:LinkBaseUrl", "", "Auth__Email__LinkBaseUrl is required")]
    [InlineData("Auth:Email:LinkBaseUrl", "https://evil.example/auth", "is not one of Auth__AllowedOrigins")]
    [InlineData("Auth:Email:LinkBaseUrl", "http://localhost:5173/auth?x=1", "without query or fragment")]
    [InlineData("Auth:Email:ProductName", "Line\nbreak", "Auth__Email__ProductName")]
    [InlineData("Auth:Email:ResetTokenMinutes", "10000", "Auth__Email__ResetTokenMinutes")]
    [InlineData("Auth:Email:ConfirmTokenMinutes", "1", "Auth__Email__ConfirmTokenMinutes")]
    [InlineData("AUTH_EMAIL_QUEUE", "Bad_Queue", "AUTH_EMAIL_QUEUE must be")]
    [InlineData("Auth:Storage:EmailQueue", "another-queue", "Auth__Storage__EmailQueue ('another-queue') and AUTH_EMAIL_QUEUE")]
    [InlineData("Auth:Storage:QueueServiceUri", "https://acct.queue.core.windows.net", "Auth__Storage__QueueServiceUri only applies")]
    [InlineData("Auth:Storage:MailTokensTable", "x", "Auth__Storage__MailTokensTable")]
    [InlineData("Auth:Storage:MailQuotasTable", "x", "Auth__Storage__MailQuotasTable")]
    [InlineData("Auth:Email:MaxPerAddressPerHour", "0", "Auth__Email__MaxPerAddressPerHour must be between 1 and 1000")]
    [InlineData("Auth:Email:MaxPerAddressPerHour", "-3", "Auth__Email__MaxPerAddressPerHour must be between 1 and 1000")]
    [InlineData("Auth:Email:MaxPerAddressPerDay", "4", "Auth__Email__MaxPerAddressPerDay must be at least Auth__Email__MaxPerAddressPerHour (5)")]
    [InlineData("Auth:Email:MaxPerAddressPerDay", "1001", "Auth__Email__MaxPerAddressPerDay must be at least")]
    [InlineData("AzureFunctionsJobHost:extensions:queues:maxDequeueCount", "0", "maxDequeueCount")]
    public async Task AnUnsafeOrMissingMailSettingStopsStartUpNamingIt(string key, string value, string expected)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => azurite.StartApiAsync(s => s[key] = value));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpsLinksToAnAllowedOriginAndStartTlsRelaysStart()
    {
        await using var api = await azurite.StartApiAsync(s =>
        {
            s["Auth:AllowedOrigins"] = "https://app.example.com";
            // The frontend's domain is the passkeys' RP id too (localhost, the test default, has no origin here).
            s["Auth:Passkeys:RpId"] = "example.com";
            s["Auth:Email:LinkBaseUrl"] = "https://app.example.com/account";
            s["Auth:Email:SmtpHost"] = "smtp.azurecomm.net";
            s["Auth:Email:UseTls"] = "StartTls";
            s["Auth:Email:SmtpUser"] = "resource.app.tenant";
            s["Auth:Email:SmtpPassword"] = "not-a-real-secret";
        });

        Assert.NotNull(api.Service<MailQueue>());
    }

    [Fact]
    public void HostJsonQueueSettingsAreTheStandaloneSendersDefaults()
    {
        var queues = JsonNode.Parse(File.ReadAllText(RepoPaths.Combine("host.json")))!["extensions"]!["queues"]!;
        var defaults = new MailQueueOptions();

        Assert.Equal(defaults.MaxDequeueCount, queues["maxDequeueCount"]!.GetValue<int>());
        Assert.Equal(defaults.VisibilityTimeout, TimeSpan.Parse(queues["visibilityTimeout"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(defaults.MaxPollingInterval, TimeSpan.Parse(queues["maxPollingInterval"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
    }
}
