using MimeKit;

namespace Serverless.Auth.Email;

/// <summary>
/// Sends the mails the service composes: address confirmation, password reset, email change and the notices. The
/// default sends over SMTP (MailKit) with the <c>Auth__Email__Smtp*</c> settings. Register an implementation of your
/// own as a singleton, before or after <see cref="ServerlessAuthExtensions.AddServerlessAuth"/> (the default is only
/// added when none is registered, and the last registration is the one resolved), to send another way, such as an
/// HTTP API (SendGrid, Azure Communication Services Email); the SMTP settings are then no longer required, while
/// <c>Auth__Email__From</c>, <c>LinkBaseUrl</c> and the rest that shape the mail still are.
/// </summary>
/// <remarks>
/// <para>
/// Called by the mail queue's worker (the queue-triggered function in Azure Functions, a hosted service in the
/// standalone host), never inside a request, after the per-address caps and the cooldown have let the mail through.
/// </para>
/// <para>
/// The message is complete: one <c>From</c> (<c>Auth__Email__From</c>), one <c>To</c>, a <c>Subject</c>, and a
/// <c>multipart/alternative</c> body with a plain-text and an HTML part (<see cref="MimeMessage.TextBody"/>,
/// <see cref="MimeMessage.HtmlBody"/>). Send it as it is, or take those parts for an API that wants them apart;
/// <see cref="MimeMessage.WriteToAsync(Stream, CancellationToken)"/> gives the raw MIME for an API that takes that.
/// </para>
/// <para>
/// Return once the provider has accepted the message. Throw when it has not (unreachable, throttled, refused): the
/// queue then retries the message, and after its last attempt moves it to the poison queue. The exception is
/// reported by its type only (a provider's error often quotes the recipient). A retry can follow a send that did
/// reach the provider, so a recipient may rarely get a mail twice.
/// </para>
/// <para>
/// The message carries the recipient's address and, in its links, a token that signs its holder in or resets the
/// password: never log the message, its recipients, its subject line with the address or its body, and keep it out
/// of exception messages.
/// </para>
/// </remarks>
public interface IAuthMailSender
{
    /// <summary>Sends <paramref name="message"/>; throws when it was not accepted, so that the queue retries it.</summary>
    /// <param name="message">The composed mail, addressed to one recipient.</param>
    /// <param name="cancellationToken">Canceled when the host is stopping.</param>
    Task SendAsync(MimeMessage message, CancellationToken cancellationToken);
}
