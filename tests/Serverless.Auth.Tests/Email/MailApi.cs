using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Email;

/// <summary>
/// A real maildev and an API whose mail goes to it, with the queue retrying fast (1 s visibility
/// timeout) and no per-account mail cooldown, so tests can ask for several mails in a row.
/// </summary>
public class MailApi(AzuriteFixture azurite) : IAsyncLifetime
{
    private MaildevProcess? maildev;
    private TestApi? api;

    public MaildevProcess Maildev => maildev ?? throw new InvalidOperationException("maildev has not started.");

    public TestApi Api => api ?? throw new InvalidOperationException("The API has not started.");

    public async ValueTask InitializeAsync()
    {
        maildev = await MaildevProcess.StartNewAsync();
        api = await StartApiAsync(azurite, maildev, Configure);
    }

    /// <summary>Changes the settings of this fixture's API before it starts.</summary>
    protected virtual void Configure(Dictionary<string, string?> settings)
    {
    }

    /// <summary>An API of its own sending to <paramref name="maildev"/>, with the fast queue settings above and <paramref name="change"/>.</summary>
    public static Task<TestApi> StartApiAsync(AzuriteFixture azurite, MaildevProcess maildev, Action<Dictionary<string, string?>>? change = null, Action<WebApplicationBuilder>? configure = null) =>
        TestApi.StartAsync(Settings(azurite, maildev, change), configure, cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>The settings <see cref="StartApiAsync"/> uses, with tables and a queue of their own: start several instances on one of these to share them.</summary>
    public static Dictionary<string, string?> Settings(AzuriteFixture azurite, MaildevProcess maildev, Action<Dictionary<string, string?>>? change = null) =>
        azurite.Settings(settings =>
        {
            settings["Auth:Email:SmtpPort"] = maildev.SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
            settings["Auth:Email:MailCooldownSeconds"] = "0";
            settings["AzureFunctionsJobHost:extensions:queues:visibilityTimeout"] = "00:00:01";
            settings["AzureFunctionsJobHost:extensions:queues:maxPollingInterval"] = "00:00:00.2";
            change?.Invoke(settings);
        });

    public async ValueTask DisposeAsync()
    {
        if (api is not null)
        {
            await api.DisposeAsync();
        }

        if (maildev is not null)
        {
            await maildev.DisposeAsync();
        }
    }
}

/// <summary><see cref="MailApi"/> with <c>Auth__Email__RequireConfirmed=true</c>.</summary>
public sealed class RequiredConfirmationMailApi(AzuriteFixture azurite) : MailApi(azurite)
{
    protected override void Configure(Dictionary<string, string?> settings) => settings["Auth:Email:RequireConfirmed"] = "true";
}

public static partial class MailLinks
{
    /// <summary>The token of the one link to <c>/{page}?token=…</c> in the mail's text, checking the HTML carries the same link.</summary>
    public static string Token(ReceivedMail mail, string page)
    {
        var match = Assert.Single(LinkPattern().Matches(mail.Text ?? ""));
        Assert.Equal(page, match.Groups["page"].Value);
        Assert.Contains(match.Value, mail.Html ?? "", StringComparison.Ordinal);
        return match.Groups["token"].Value;
    }

    [GeneratedRegex(@"http://localhost:5173/auth/(?<page>confirm|reset|email-change)\?token=(?<token>[A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])")]
    private static partial Regex LinkPattern();
}
