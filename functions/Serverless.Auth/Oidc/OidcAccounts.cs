using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Serverless.Auth.Accounts;
using Serverless.Auth.Email;
using Serverless.Auth.Events;
using Serverless.Auth.Mfa;

namespace Serverless.Auth.Oidc;

/// <summary>What a provider sign-in resolved to.</summary>
internal abstract record OidcOutcome
{
    /// <summary>
    /// The account to sign in (named by the identity's row, or created now). The exchange reads it, and its link row in the
    /// same request: only an account that holds the identity's link is signed in.
    /// </summary>
    public sealed record SignIn(string UserId) : OidcOutcome;

    /// <summary>The identity is linked to the account that asked (now, or already).</summary>
    public sealed record Linked : OidcOutcome;

    /// <summary>A link flow's identity, free for the account that asked: linked once that account's own session confirms it (the exchange).</summary>
    public sealed record LinkPending(ProviderIdentity Identity) : OidcOutcome;

    /// <summary>Nothing happened; <see cref="Code"/> goes back to the frontend.</summary>
    public sealed record Failed(string Code) : OidcOutcome;
}

/// <summary>
/// The linking rules: an identity linked already signs its account in; else a new account, never an automatic link by
/// email. With an address the provider verified and is trusted for (<c>TrustEmail</c>): the account is created confirmed,
/// unless an account has that address (<c>account_exists</c>: sign in and link from there). Otherwise the new account's
/// address is unconfirmed and not claimed (no <c>account_exists</c>, which would reveal who is registered to whoever can
/// type an address at a provider): our own confirmation mail goes to it, and confirming claims it if it is still free.
/// </summary>
internal sealed partial class OidcAccounts(
    UserRepository users, AccountService accounts, OidcIdentities identities, MailOutbox outbox, AuthEvents events, TimeProvider time, ILogger<OidcAccounts> logger)
{
    private const int MaxAttempts = 4;

    /// <summary>The callback's resolution: a link flow's identity, a returning identity's account, or a new account.</summary>
    public async Task<OidcOutcome> ResolveAsync(
        HttpContext context, OidcProvider provider, ProviderIdentity identity, string linkUserId, CancellationToken cancellationToken)
    {
        if (linkUserId.Length > 0)
        {
            // Not linked here: whoever followed the start URL may not be the account's owner (a link ticket sent to someone
            // else), so the owner's session confirms it, with the verifier its page kept (the exchange).
            var existing = await identities.FindAsync(provider.Name, identity.Subject, cancellationToken);
            return existing is { } owner && owner != linkUserId ? new OidcOutcome.Failed("identity_in_use") : new OidcOutcome.LinkPending(identity);
        }

        // The identity's row alone: whether the account it names is live and holds the link is checked by the exchange,
        // which reads that account anyway (and its link row in the same request). A returning user's callback reads once.
        return await identities.FindOwnerAsync(provider.Name, identity.Subject, cancellationToken) is { } named
            ? new OidcOutcome.SignIn(named)
            : await CreateAsync(context, provider, identity, cancellationToken);
    }

    /// <summary>
    /// The resolution again, at the exchange, for an identity whose row named an account that does not hold its link (a
    /// crash between an unlink's writes, an account the previous release deleted, an unlink since the callback): the
    /// account a live link names, else a new account as for a first sign-in (the stale row is taken over by its link).
    /// </summary>
    public async Task<OidcOutcome> ResolveStaleAsync(HttpContext context, OidcProvider provider, ProviderIdentity identity, CancellationToken cancellationToken) =>
        await identities.FindAsync(provider.Name, identity.Subject, cancellationToken) is { } found
            ? new OidcOutcome.SignIn(found)
            : await CreateAsync(context, provider, identity, cancellationToken);

    /// <summary>A first sign-in of the identity: a new account, or why not (never an automatic link by email).</summary>
    private async Task<OidcOutcome> CreateAsync(HttpContext context, OidcProvider provider, ProviderIdentity identity, CancellationToken cancellationToken)
    {
        if (!EmailAddress.TryCanonicalize(identity.Email, out var email, out _))
        {
            return new OidcOutcome.Failed("email_required");
        }

        var vouched = identity.EmailVerified && provider.TrustEmail;
        if (vouched && await users.FindByEmailAsync(email, cancellationToken) is { } holder)
        {
            // No password, no passkey, and nothing linked yet or only this identity's link row (its identity row one write
            // behind): an account a concurrent first sign-in (this identity, another tab or instance) made a moment ago.
            // Any other holder: no automatic link.
            var beingMade = !holder.HasPassword && holder.Passkeys == 0
                && (holder.ProviderIdentities == 0 || await HoldsLinkOfAsync(holder, provider, identity, cancellationToken));
            return (beingMade ? await AwaitConcurrentFirstSignInAsync(provider, identity, cancellationToken) : null) ?? new OidcOutcome.Failed("account_exists");
        }

        var userId = Guid.CreateVersion7().ToString();
        if (!await users.TryCreateAsync(userId, email, passwordHash: "", time.GetUtcNow(), emailConfirmed: vouched, cancellationToken, claimEmail: vouched))
        {
            // The address was taken a moment ago: by a concurrent first sign-in of this same identity (two tabs), whose
            // link follows its account within a few storage writes; else by someone else.
            return await AwaitConcurrentFirstSignInAsync(provider, identity, cancellationToken) ?? new OidcOutcome.Failed("account_exists");
        }

        if (await LinkAsync(provider, identity, userId, cancellationToken) is not OidcOutcome.Linked)
        {
            // A concurrent first sign-in of the same identity linked it to its own new account: that one is the account.
            if (await users.FindByIdAsync(userId, emailHint: null, cancellationToken) is { } orphan)
            {
                await accounts.DeleteAsync(orphan, cancellationToken);
            }

            return await identities.FindAsync(provider.Name, identity.Subject, cancellationToken) is { } winner
                ? new OidcOutcome.SignIn(winner)
                : new OidcOutcome.Failed("try_again");
        }

        LogCreated(logger, userId, provider.Name, vouched);
        if (!vouched)
        {
            await outbox.RequestAfterSignupAsync(MailKind.ClaimEmail, email, cancellationToken, userId);
        }

        await events.RaiseAsync(context, AuthEventKind.SignedUp, userId, null);
        return new OidcOutcome.SignIn(userId);
    }

    private async Task<bool> HoldsLinkOfAsync(UserAccount holder, OidcProvider provider, ProviderIdentity identity, CancellationToken cancellationToken) =>
        holder.ProviderIdentities == 1 && (await identities.FindLinkAsync(holder.UserId, provider.Name, cancellationToken)).Link?.Subject == identity.Subject;

    /// <summary>
    /// The other first sign-in's account, once its link lands (a few writes after its account: up to about 4 s here, a
    /// loaded instance or storage included); null when none appears (the address is someone else's).
    /// </summary>
    private async Task<OidcOutcome?> AwaitConcurrentFirstSignInAsync(OidcProvider provider, ProviderIdentity identity, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 2 * MaxAttempts; attempt++)
        {
            if (await identities.FindAsync(provider.Name, identity.Subject, cancellationToken) is { } winner)
            {
                return new OidcOutcome.SignIn(winner);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100 * (attempt + 1)), cancellationToken);
        }

        return null;
    }

    /// <summary>A confirmed link (the exchange of a link code by the account's own session): the identity added to the account.</summary>
    /// <param name="passwordStamp">The stamp of the password the link was asked under; a password changed since voids it (<c>link_expired</c>).</param>
    public Task<OidcOutcome> CompleteLinkAsync(OidcProvider provider, ProviderIdentity identity, string userId, string passwordStamp, CancellationToken cancellationToken) =>
        LinkAsync(provider, identity, userId, cancellationToken, passwordStamp);

    /// <param name="passwordStamp">The stamp the link was asked under, checked on every attempt; null for the account a sign-in just created.</param>
    private async Task<OidcOutcome> LinkAsync(OidcProvider provider, ProviderIdentity identity, string userId, CancellationToken cancellationToken, string? passwordStamp = null)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var (found, link) = await identities.FindLinkAsync(userId, provider.Name, cancellationToken);
            if (found is null || await accounts.EnsureCurrentAsync(found, cancellationToken) is not { } account)
            {
                return new OidcOutcome.Failed("account_gone");
            }

            if (passwordStamp is not null && PendingSignIns.PasswordStamp(account) != passwordStamp)
            {
                // The password changed (or was reset) after the link was asked for: every session ended then, and so does this.
                return new OidcOutcome.Failed("link_expired");
            }

            if (link is not null)
            {
                return link.Subject == identity.Subject ? new OidcOutcome.Linked() : new OidcOutcome.Failed("provider_already_linked");
            }

            switch (await identities.TryLinkAsync(account, provider.Name, identity, cancellationToken))
            {
                case LinkResult.Linked:
                    return new OidcOutcome.Linked();
                case LinkResult.IdentityTaken:
                    return new OidcOutcome.Failed("identity_in_use");
            }
        }

        return new OidcOutcome.Failed("try_again");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Account {UserId} created by a sign-in with {Provider} (address vouched for: {Vouched})")]
    private static partial void LogCreated(ILogger logger, string userId, string provider, bool vouched);
}
