using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Serverless.Auth.Accounts;
using Serverless.Auth.Email;
using Serverless.Auth.Events;
using Serverless.Auth.Http;
using Serverless.Auth.Oidc;
using Serverless.Auth.Sessions;

namespace Serverless.Auth.Admin;

/// <summary>
/// The admin API (<c>/api/auth/admin/…</c>): find an account, read its summary, disable, enable, sign out everywhere,
/// delete, resend its confirmation, and read the fleet event log. Bearer only (<see cref="AdminTokens"/>); every action
/// is an event with the admin's subject as its actor.
/// </summary>
internal sealed class AdminEndpoints(
    UserRepository users,
    AccountService accounts,
    SessionService sessions,
    OidcIdentities identities,
    MailOutbox outbox,
    EventLog log,
    AuthEvents events,
    TimeProvider time)
{
    public const int EventPageSize = 100;
    private const int MaxWriteAttempts = 4;
    private const string UsersSegment = "/admin/users/";

    public static readonly EndpointDeclaration Find = Declare(
        "Find an account by email", "The account with this address (canonicalized as signup does), or 404. The address travels in the body, not the URL.",
        static (AdminEndpoints endpoint, EndpointRequest<AdminFindRequest> request) => endpoint.FindAsync(request));

    public static readonly EndpointDeclaration Get = Declare(
        "An account's summary", "Status, confirmation, disabled, created, last sign-in, factors and session count: no secret. 404 for an unknown id.",
        static (AdminEndpoints endpoint, EndpointRequest<NoBody> request) => endpoint.GetAsync(request));

    public static readonly EndpointDeclaration Disable = Declare(
        "Disable an account",
        "No sign-in by any method (403 account_disabled after the right credentials; a wrong password still answers 401) and no refresh; every "
            + "session ends on every instance within the revocation sync interval; mailed links stop working and no new ones are sent. Answers the summary.",
        static (AdminEndpoints endpoint, EndpointRequest<NoBody> request) => endpoint.SetDisabledAsync(request, disabled: true), StatusCodes.Status409Conflict);

    public static readonly EndpointDeclaration Enable = Declare(
        "Enable an account", "Lets the account sign in again (its sessions from before stay ended). Answers the summary.",
        static (AdminEndpoints endpoint, EndpointRequest<NoBody> request) => endpoint.SetDisabledAsync(request, disabled: false), StatusCodes.Status409Conflict);

    public static readonly EndpointDeclaration SignOut = Declare(
        "Sign an account out everywhere", "Ends every session of the account on every instance, as its owner's sign-out everywhere does.",
        static (AdminEndpoints endpoint, EndpointRequest<NoBody> request) => endpoint.SignOutAsync(request));

    public static readonly EndpointDeclaration Delete = Declare(
        "Delete an account",
        "What the owner's own deletion does: sessions ended, the account, its passkeys, provider links, backoff and own events deleted; the address can sign up again.",
        static (AdminEndpoints endpoint, EndpointRequest<NoBody> request) => endpoint.DeleteAsync(request), StatusCodes.Status409Conflict);

    public static readonly EndpointDeclaration ResendConfirmation = Declare(
        "Resend an account's confirmation mail", "Queues the confirmation mail (202); 409 when the address is confirmed already. A disabled account gets none.",
        static (AdminEndpoints endpoint, EndpointRequest<NoBody> request) => endpoint.ResendConfirmationAsync(request), StatusCodes.Status409Conflict);

    public static readonly EndpointDeclaration Events = EndpointDeclaration.For(
        new Operation
        {
            Summary = "The fleet event log",
            Description = "Security events of every account, oldest first, 100 a page, within Auth__Events__RetentionDays: since (ISO 8601, default "
                + "24 hours ago), type (one event type), cursor (the previous page's next). No address, password, code or token is ever in an event.",
            ChecksOrigin = false,
            RequiresAdmin = true,
            Answers = [StatusCodes.Status400BadRequest],
            Query = [("since", "ISO 8601 time: events at or after it (default: 24 hours ago)."), ("type", "Only events of this type, e.g. login.failed."), ("cursor", "The previous page's next.")],
        },
        static (AdminEndpoints endpoint, EndpointRequest<NoBody> request) => endpoint.EventsAsync(request));

    public async Task<Results<Ok<AdminUser>, ProblemHttpResult>> FindAsync(EndpointRequest<AdminFindRequest> request)
    {
        if (!EmailAddress.TryCanonicalize(request.Body.Email!, out var email, out var problem))
        {
            return Problems.Invalid("email", problem);
        }

        var account = await users.FindByEmailAsync(email, request.Aborted);
        await events.RaiseAsync(request.Context, AuthEventKind.AdminUserFound, account?.UserId, null, account is null ? "no_account" : null, request.Admin.Subject);
        return account is null ? NoSuchAccount() : TypedResults.Ok(await SummaryAsync(account, request.Aborted));
    }

    public async Task<Results<Ok<AdminUser>, ProblemHttpResult>> GetAsync(EndpointRequest<NoBody> request)
    {
        if (await AccountOfPathAsync(request) is not { } account)
        {
            return NoSuchAccount();
        }

        await events.RaiseAsync(request.Context, AuthEventKind.AdminUserViewed, account.UserId, null, actor: request.Admin.Subject);
        return TypedResults.Ok(await SummaryAsync(account, request.Aborted));
    }

    public async Task<Results<Ok<AdminUser>, ProblemHttpResult>> SetDisabledAsync(EndpointRequest<NoBody> request, bool disabled)
    {
        var cancellationToken = request.Aborted;
        for (var attempt = 0; attempt < MaxWriteAttempts; attempt++)
        {
            if (await AccountOfPathAsync(request) is not { } found || await accounts.EnsureCurrentAsync(found, cancellationToken) is not { } account)
            {
                return NoSuchAccount();
            }

            // The flag first, then the sessions: a sign-in that read the account before the flag started its session
            // before this cut-off (it reads the account again while starting it, or took its start time before its
            // only read), so the cut-off ends it.
            if (account.Disabled == disabled || await users.TrySetDisabledAsync(account, disabled, cancellationToken))
            {
                if (disabled)
                {
                    await sessions.EndAllAsync(account.UserId, cancellationToken);
                }

                await events.RaiseAsync(
                    request.Context, disabled ? AuthEventKind.AccountDisabled : AuthEventKind.AccountEnabled, account.UserId, null, actor: request.Admin.Subject);
                return TypedResults.Ok(await SummaryAsync(account with { Disabled = disabled }, cancellationToken));
            }
        }

        return Problems.Conflict("The account kept changing meanwhile. Try again.");
    }

    public async Task<Results<NoContent, ProblemHttpResult>> SignOutAsync(EndpointRequest<NoBody> request)
    {
        if (await AccountOfPathAsync(request) is not { } account)
        {
            return NoSuchAccount();
        }

        await sessions.EndAllAsync(account.UserId, request.Aborted);
        await events.RaiseAsync(request.Context, AuthEventKind.AdminSignedOut, account.UserId, null, actor: request.Admin.Subject);
        return TypedResults.NoContent();
    }

    public async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(EndpointRequest<NoBody> request)
    {
        if (await AccountOfPathAsync(request) is not { } account)
        {
            return NoSuchAccount();
        }

        // As the owner's own deletion: tokens die first, so a failure after this point leaves no usable session behind.
        await sessions.EndAllAsync(account.UserId, request.Aborted);
        if (!await accounts.DeleteAsync(account, request.Aborted))
        {
            return Problems.Conflict("The account changed while it was being deleted. Try again.");
        }

        await events.RaiseAsync(request.Context, AuthEventKind.AccountDeleted, account.UserId, null, actor: request.Admin.Subject);
        return TypedResults.NoContent();
    }

    public async Task<Results<Accepted<AcceptedResponse>, ProblemHttpResult>> ResendConfirmationAsync(EndpointRequest<NoBody> request)
    {
        if (await AccountOfPathAsync(request) is not { } account)
        {
            return NoSuchAccount();
        }

        if (account.EmailConfirmed)
        {
            return Problems.Conflict("The account's address is confirmed already.");
        }

        // An address a provider gave without vouching for it is confirmed by the claim mail, found by the account's id.
        var mail = account.EmailClaimed
            ? outbox.NewRequest(MailKind.Confirm, account.Email)
            : outbox.NewRequest(MailKind.ClaimEmail, account.Email) with { UserId = account.UserId };
        await Task.WhenAll(
            outbox.EnqueueAsync(mail, request.Aborted),
            events.RaiseAsync(request.Context, AuthEventKind.AdminResentConfirmation, account.UserId, null, actor: request.Admin.Subject));
        return TypedResults.Accepted((string?)null, AcceptedResponse.Instance);
    }

    public async Task<Results<Ok<AdminEventPage>, ProblemHttpResult>> EventsAsync(EndpointRequest<NoBody> request)
    {
        var query = request.Context.Request.Query;
        var now = time.GetUtcNow();
        var since = now.AddDays(-1);
        if (query["since"].ToString() is { Length: > 0 } sinceText
            && !DateTimeOffset.TryParse(sinceText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out since))
        {
            return Problems.Invalid("since", "since must be an ISO 8601 time, e.g. 2026-12-01T00:00:00Z.");
        }

        var type = query["type"].ToString() is { Length: > 0 } typeText ? typeText : null;
        if (type is not null && !AuthEventTypes.TryParse(type, out _))
        {
            return Problems.Invalid("type", "type must be one of: " + string.Join(", ", AuthEventTypes.All) + ".");
        }

        var cursor = query["cursor"].ToString() is { Length: > 0 } cursorText ? cursorText : null;
        if (cursor is not null && !EventLog.IsCursor(cursor))
        {
            return Problems.Invalid("cursor", "cursor must be a previous page's next, as given.");
        }

        var (found, next) = await log.ReadFleetAsync(since, cursor, type, now, EventPageSize, request.Aborted);
        await events.RaiseAsync(request.Context, AuthEventKind.AdminEventsListed, null, null, type, request.Admin.Subject);
        return TypedResults.Ok(new AdminEventPage(
            [.. found.Select(e => new AdminEvent(e.Type, e.At, e.UserId, e.SessionId, e.IpPrefix, e.UserAgent, e.Outcome, e.Detail, e.Actor))], next));
    }

    private async Task<AdminUser> SummaryAsync(UserAccount account, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var listing = sessions.ListAsync(account.UserId, cancellationToken);
        var linking = account.ProviderIdentities > 0 ? identities.ListAsync(account.UserId, cancellationToken) : null;
        var reading = log.ReadUserAsync(account.UserId, now, ActivityEndpoint.MaxEvents, cancellationToken);
        await Task.WhenAll(listing, reading, (Task?)linking ?? Task.CompletedTask);
        var live = await listing;
        var lastSignIn = new[]
        {
            (await reading).FirstOrDefault(e => e.Type == AuthEventTypes.NameOf(AuthEventKind.SignedIn))?.At,
            live.Count > 0 ? live.Max(s => s.CreatedAt) : null,
        }.Max();
        var providers = linking is null ? [] : (await linking).Select(l => l.Provider).Order(StringComparer.Ordinal).ToArray();
        return new AdminUser(
            account.UserId, account.Email, account.Disabled ? "disabled" : "active", account.EmailConfirmed, account.Disabled, account.CreatedAt, lastSignIn,
            new AdminFactors(account.HasPassword, account.Mfa.TotpEnabled, account.Mfa.TotpEnabled ? account.Mfa.RecoveryCodes.Count : 0, account.Passkeys, providers),
            live.Count);
    }

    /// <summary>The account of the route's <c>{id}</c>; null for an unknown or malformed id.</summary>
    private async Task<UserAccount?> AccountOfPathAsync<TBody>(EndpointRequest<TBody> request)
    {
        var path = request.Context.Request.Path.Value ?? "";
        var start = path.LastIndexOf(UsersSegment, StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        var rest = path[(start + UsersSegment.Length)..];
        var userId = Uri.UnescapeDataString(rest.Split('/')[0]);
        return userId is { Length: > 0 and <= 64 } && userId.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')
            ? await users.FindByIdAsync(userId, emailHint: null, request.Aborted)
            : null;
    }

    private static ProblemHttpResult NoSuchAccount() => Problems.NotFound("No account has this id or address.");

    private static EndpointDeclaration Declare<TBody, TResult>(
        string summary, string description, Func<AdminEndpoints, EndpointRequest<TBody>, Task<TResult>> handle, params int[] answers)
        where TBody : class
        where TResult : IResult, Microsoft.AspNetCore.Http.Metadata.IEndpointMetadataProvider =>
        EndpointDeclaration.For(
            new Operation
            {
                Summary = summary,
                Description = description + " Admin only: a bearer token from the admin issuer with the admin role (cookies are never read).",
                // Bearer only: no cookie authenticates these routes, so there is no cross-site request to refuse.
                ChecksOrigin = false,
                RequiresAdmin = true,
                Answers = answers,
            },
            handle);
}
