using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Serverless.Auth.Email;

/// <summary>
/// The default <see cref="IAuthMailSender"/>: one message over SMTP (MailKit). Throws when the relay is unreachable or
/// refuses: the queue retries.
/// </summary>
internal sealed class SmtpMailSender(IOptions<EmailOptions> options) : IAuthMailSender
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly EmailOptions settings = options.Value;

    public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        using var client = new SmtpClient { Timeout = (int)Timeout.TotalMilliseconds };
        var security = settings.UseTls switch
        {
            SmtpTls.SslOnConnect => SecureSocketOptions.SslOnConnect,
            SmtpTls.None => SecureSocketOptions.None,
            // Required, not opportunistic: a relay that does not offer STARTTLS fails instead of getting plain text.
            _ => SecureSocketOptions.StartTls,
        };
        await client.ConnectAsync(settings.SmtpHost!.Trim(), settings.SmtpPort, security, cancellationToken);
        if (!string.IsNullOrEmpty(settings.SmtpUser))
        {
            await client.AuthenticateAsync(settings.SmtpUser, settings.SmtpPassword ?? "", cancellationToken);
        }

        await client.SendAsync(message, cancellationToken);
        await client.DisconnectAsync(quit: true, cancellationToken);
    }
}
