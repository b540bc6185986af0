using System.Net;
using System.Net.Http.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using Serverless.Auth.Email;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Email;

/// <summary>
/// Issue 27: an app sends the mails its own way (<see cref="IAuthMailSender"/>), registered before or after
/// AddServerlessAuth, and then needs no SMTP setting; without one of its own, the SMTP relay is still required.
/// </summary>
public sealed class MailSenderSeamTests(AzuriteFixture azurite)
{
    private const string Password = "plum-orchard-lantern-4821";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnHttpApiSenderGetsTheConfirmationMailAndNoSmtpSettingIsNeeded()
    {
        await using var provider = await FakeMailProvider.StartAsync();
        await using var api = await StartApiSendingToAsync(provider.BaseAddress);
        Assert.IsType<HttpApiMailSender>(api.Service<IAuthMailSender>());
        var email = Emails.Unique("own-sender");
        var browser = new SessionClient(api.Client);

        var userId = await browser.SignUpForUserIdAsync(email, Password);

        var posted = await provider.NextAsync();
        Assert.Equal(email, posted.To);
        Assert.Equal("no-reply@app.test", posted.From);
        Assert.Equal("Confirm your email for Serverless Auth", posted.Subject);
        // The link in the text and the same link in the HTML; it confirms the account that signed up.
        var token = MailLinks.Token(new ReceivedMail("", posted.Subject, posted.Text, posted.Html, [new MailAddress(posted.To, null)], []), "confirm");
        var confirmed = await ResponseAssert.JsonAsync(await browser.ConfirmEmailAsync(token), HttpStatusCode.OK);
        Assert.Equal(userId, confirmed.GetProperty("userId").GetString());
        Assert.True(confirmed.GetProperty("emailConfirmed").GetBoolean());
    }

    [Fact]
    public async Task ASenderThatThrowsHasTheSameMailRetriedByTheQueue()
    {
        await using var provider = await FakeMailProvider.StartAsync(refuseFirst: 1);
        await using var api = await StartApiSendingToAsync(provider.BaseAddress);
        var email = Emails.Unique("retried");

        await new SessionClient(api.Client).SignUpForUserIdAsync(email, Password);

        // The provider's 503 made the sender throw: the message came back after the visibility timeout, the same mail.
        var refused = await provider.NextAsync();
        var accepted = await provider.NextAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.Answer);
        Assert.Equal(HttpStatusCode.Accepted, accepted.Answer);
        Assert.Equal(email, accepted.To);
        Assert.Equal(refused.Text, accepted.Text);
    }

    [Fact]
    public async Task WithoutASenderOfItsOwnStartUpStillNamesTheSmtpHost()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => azurite.StartApiAsync(WithoutSmtp));

        Assert.Contains("Auth__Email__SmtpHost is required", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TheAppsSenderWinsWhetherRegisteredBeforeOrAfterAddServerlessAuth(bool registeredFirst)
    {
        var sender = new CapturingMailSender();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(azurite.Settings(WithoutSmtp));
        if (registeredFirst)
        {
            builder.Services.AddSingleton<IAuthMailSender>(sender);
        }

        builder.AddServerlessAuth();
        if (!registeredFirst)
        {
            builder.Services.AddSingleton<IAuthMailSender>(sender);
        }

        using var host = builder.Build();

        Assert.Same(sender, host.Services.GetRequiredService<IAuthMailSender>());
        // Validated on first use, as at start-up: no SMTP setting is asked for.
        Assert.Equal("Test Auth <no-reply@app.test>", host.Services.GetRequiredService<IOptions<EmailOptions>>().Value.From);
    }

    [Fact]
    public void ATryAddAfterAddServerlessAuthLeavesTheSmtpSenderAndItsSettingsInPlace()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(azurite.Settings(WithoutSmtp));
        builder.AddServerlessAuth();
        builder.Services.TryAddSingleton<IAuthMailSender, CapturingMailSender>();

        using var host = builder.Build();

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<EmailOptions>>().Value);
        Assert.Contains("Auth__Email__SmtpHost is required", error.Message, StringComparison.Ordinal);
    }

    /// <summary>An API without SMTP settings whose mail goes to the HTTP mail API at <paramref name="mailApi"/>.</summary>
    private Task<TestApi> StartApiSendingToAsync(Uri mailApi) =>
        azurite.StartApiAsync(WithoutSmtp, configure: builder =>
        {
            builder.Services.AddSingleton<IAuthMailSender>(new HttpApiMailSender(new HttpClient { BaseAddress = mailApi }));
        });

    /// <summary>No SMTP relay configured (an empty host overrides any local settings file), and the queue retrying fast.</summary>
    private static void WithoutSmtp(Dictionary<string, string?> settings)
    {
        settings["Auth:Email:SmtpHost"] = "";
        settings.Remove("Auth:Email:SmtpPort");
        settings.Remove("Auth:Email:UseTls");
        settings["Auth:Email:MailCooldownSeconds"] = "0";
        settings["AzureFunctionsJobHost:extensions:queues:visibilityTimeout"] = "00:00:01";
        settings["AzureFunctionsJobHost:extensions:queues:maxPollingInterval"] = "00:00:00.2";
    }

    /// <summary>A mail as the fake provider received it, and what it answered.</summary>
    private sealed record PostedMail(string From, string To, string Subject, string Text, string Html)
    {
        public HttpStatusCode Answer { get; init; }
    }

    /// <summary>An HTTP mail API on loopback (POST /v1/send, JSON) that refuses its first requests with 503 when asked to.</summary>
    private sealed class FakeMailProvider(WebApplication app, Uri baseAddress, Channel<PostedMail> posted) : IAsyncDisposable
    {
        public Uri BaseAddress { get; } = baseAddress;

        public static async Task<FakeMailProvider> StartAsync(int refuseFirst = 0)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls(TestApi.AnyLoopbackPort);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            var app = builder.Build();
            var posted = Channel.CreateUnbounded<PostedMail>();
            var requests = 0;
            app.MapPost("/v1/send", async (PostedMail mail) =>
            {
                var answer = Interlocked.Increment(ref requests) <= refuseFirst ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.Accepted;
                await posted.Writer.WriteAsync(mail with { Answer = answer });
                return Results.StatusCode((int)answer);
            });
            var address = await TestApi.StartAppAsync(app, Ct);
            return new FakeMailProvider(app, new Uri(address, "/v1/"), posted);
        }

        public async Task<PostedMail> NextAsync()
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            return await posted.Reader.ReadAsync(timeout.Token);
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}

/// <summary>The example mail sender of an app's own in docs/extension-points.md: the parts of the message, as JSON, to an HTTP mail API.</summary>
public sealed class HttpApiMailSender(HttpClient http) : IAuthMailSender
{
    public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        var mail = new
        {
            from = message.From.Mailboxes.Single().Address,
            to = message.To.Mailboxes.Single().Address,
            subject = message.Subject,
            text = message.TextBody,
            html = message.HtmlBody,
        };
        using var response = await http.PostAsJsonAsync("send", mail, cancellationToken);
        response.EnsureSuccessStatusCode(); // throws on a refusal: the queue retries the mail
    }
}
