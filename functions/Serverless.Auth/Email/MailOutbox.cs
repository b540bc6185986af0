namespace Serverless.Auth.Email;

/// <summary>
/// Asks for a mail: one queue insert with a fresh token, whatever the address. Whether the address
/// has an account is decided by the sender, off the request path, so the answer's body and timing
/// are the same for every address.
/// </summary>
internal sealed class MailOutbox(MailQueue queue, TimeProvider time)
{
    public Task RequestAsync(MailKind kind, string canonicalEmail, CancellationToken cancellationToken) =>
        queue.EnqueueAsync(new MailRequest(kind, canonicalEmail, MailRequest.NewToken(), time.GetUtcNow()), cancellationToken);
}
