using System.Threading.Channels;
using MimeKit;
using Serverless.Auth.Email;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Email;

/// <summary>An app's own <see cref="IAuthMailSender"/> that keeps what it is given: tests read the mails, no SMTP involved.</summary>
public sealed class CapturingMailSender : IAuthMailSender
{
    private readonly Channel<MimeMessage> sent = Channel.CreateUnbounded<MimeMessage>();

    public Task SendAsync(MimeMessage message, CancellationToken cancellationToken) => sent.Writer.WriteAsync(message, cancellationToken).AsTask();

    /// <summary>The next mail to <paramref name="to"/> (mails to others are passed over), as maildev would list it.</summary>
    public async Task<ReceivedMail> NextToAsync(string to)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            var message = await sent.Reader.ReadAsync(timeout.Token);
            var mail = Received(message);
            if (mail.IsTo(to))
            {
                return mail;
            }
        }
    }

    public static ReceivedMail Received(MimeMessage message) => new(
        message.MessageId ?? "",
        message.Subject ?? "",
        message.TextBody,
        message.HtmlBody,
        [.. message.To.Mailboxes.Select(m => new MailAddress(m.Address, m.Name))],
        [.. message.From.Mailboxes.Select(m => new MailAddress(m.Address, m.Name))]);
}
