using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Serverless.Auth.Accounts;
using Serverless.Auth.Email;
using Serverless.Auth.Http;
using Serverless.Auth.Mfa;
using Serverless.Auth.Throttling;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Passkeys;

/// <summary>
/// The signed-in user's passkeys: add one (options, then the browser's answer), list, rename, delete. Adding and
/// deleting are sensitive changes: the password (and a code, with TOTP on) unless this session checked a second factor
/// within <c>Auth__Mfa__StepUpSeconds</c> (a passkey sign-in is one).
/// </summary>
internal sealed class PasskeyEndpoints(
    AccountService accounts,
    UserRepository users,
    PasskeyRepository passkeys,
    PasskeyCeremony ceremony,
    PasskeyChallenges challenges,
    MailOutbox outbox,
    Events.AuthEvents events,
    TimeProvider time,
    IOptions<PasskeyOptions> options)
{
    private const int MaxNameLength = 64;
    private const int MaxWriteAttempts = 4;
    private readonly int maxPerUser = options.Value.MaxPerUser;

    public static readonly EndpointDeclaration RegisterOptions = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Options to add a passkey",
            Description = "The options for navigator.credentials.create() (publicKey, WebAuthn's JSON form: a discoverable credential with user verification, "
                + "attestation none, ES256/EdDSA/RS256, the account's passkeys excluded, a 32-byte challenge valid 5 minutes in an HttpOnly cookie). Re-authentication: "
                + "the password (and a code with TOTP on) unless this session checked a second factor within Auth__Mfa__StepUpSeconds. 409 at "
                + "Auth__Passkeys__MaxPerUser passkeys; 404 when passkeys are off.",
            RateLimit = RateLimitedAction.Credentials,
            RequiresSession = true,
            Answers = [StatusCodes.Status404NotFound, StatusCodes.Status409Conflict],
        },
        static (PasskeyEndpoints endpoint, EndpointRequest<PasskeyRegisterOptionsRequest> request) => endpoint.RegisterOptionsAsync(request));

    public static readonly EndpointDeclaration Register = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Add a passkey",
            Description = "The browser's answer to the options (credential, as PublicKeyCredential.toJSON() gives it) and a name. Verified (origin among "
                + "Auth__Passkeys__Origins, RP id hash, user presence and verification, the challenge, issued to this user, once) and stored. 400 errors.credential "
                + "when it does not verify, 409 when the passkey is registered already or the limit is reached.",
            RateLimit = RateLimitedAction.Credentials,
            RequiresSession = true,
            Answers = [StatusCodes.Status404NotFound, StatusCodes.Status409Conflict],
        },
        static (PasskeyEndpoints endpoint, EndpointRequest<PasskeyRegisterRequest> request) => endpoint.RegisterAsync(request));

    public static readonly EndpointDeclaration List = EndpointDeclaration.For(
        new Operation
        {
            Summary = "My passkeys",
            Description = "Name, when added and last used, whether it is synced (backup eligible, backed up), and its transports. Never a key.",
            ChecksOrigin = false,
            RequiresSession = true,
            Answers = [StatusCodes.Status404NotFound],
        },
        static (PasskeyEndpoints endpoint, EndpointRequest<NoBody> request) => endpoint.ListAsync(request));

    public static readonly EndpointDeclaration Rename = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Rename a passkey",
            Description = "A new name, 1-64 characters without control characters. 404 for a passkey that is not the caller's.",
            RequiresSession = true,
            Answers = [StatusCodes.Status404NotFound, StatusCodes.Status409Conflict],
        },
        static (PasskeyEndpoints endpoint, EndpointRequest<PasskeyRenameRequest> request) => endpoint.RenameAsync(request));

    public static readonly EndpointDeclaration Delete = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Delete a passkey",
            Description = "Re-authentication as for adding one. 409 when it is the last way to sign in (an account without a password); 404 for a "
                + "passkey that is not the caller's.",
            RateLimit = RateLimitedAction.Credentials,
            RequiresSession = true,
            Answers = [StatusCodes.Status404NotFound, StatusCodes.Status409Conflict],
        },
        static (PasskeyEndpoints endpoint, EndpointRequest<PasskeyDeleteRequest> request) => endpoint.DeleteAsync(request));

    public async Task<Results<Ok<PasskeyCreationOptionsResponse>, ProblemHttpResult>> RegisterOptionsAsync(EndpointRequest<PasskeyRegisterOptionsRequest> request)
    {
        if (!ceremony.Enabled)
        {
            return NotEnabled();
        }

        var (account, problem) = await ReauthenticateAsync(request.Context, request.Subject, request.Body.Password, request.Body);
        if (problem is not null)
        {
            return problem;
        }

        if (account!.Passkeys >= maxPerUser)
        {
            return LimitReached();
        }

        var existing = await passkeys.ListAsync(account.UserId, request.Aborted);
        var challenge = challenges.Issue(request.Context.Response, CeremonyKind.Register, account.UserId);
        return TypedResults.Ok(new PasskeyCreationOptionsResponse(ceremony.CreationOptions(account, existing, challenge)));
    }

    public async Task<Results<Ok<PasskeyInfo>, ProblemHttpResult>> RegisterAsync(EndpointRequest<PasskeyRegisterRequest> request)
    {
        var (context, subject, body) = (request.Context, request.Subject, request.Body);
        if (!ceremony.Enabled)
        {
            return NotEnabled();
        }

        if (NameProblem(body.Name ?? "Passkey", out var name) is { } badName)
        {
            return badName;
        }

        if (challenges.Read(context.Request, CeremonyKind.Register, subject.UserId) is not { } challenge)
        {
            return Problems.Invalid("credential", "Adding a passkey takes at most 5 minutes from its options, in the session that asked for them: ask for new options.");
        }

        if (await CurrentAccountAsync(subject, request.Aborted) is not { } account)
        {
            return Problems.Conflict("The account is gone.");
        }

        if (challenge.IssuedAt <= account.PasskeyFloor)
        {
            return ChallengeSpent();
        }

        var (registered, refusal) = await ceremony.VerifyRegistrationAsync(body.Credential!, account, challenge, request.Aborted);
        if (registered is null)
        {
            return Problems.Invalid("credential", refusal!.Reason);
        }

        var passkey = new PasskeyRecord(
            account.UserId, registered.Id, registered.PublicKey, registered.SignCount, registered.IsBackupEligible, registered.IsBackedUp,
            PasskeyCeremony.Transports(body.Credential!.Response?.Transports), name, time.GetUtcNow(), LastUsedAt: null, Floor: 0, default);
        if (await passkeys.GetAsync(account.UserId, passkey.CredentialId, request.Aborted) is not null
            || !await passkeys.TryClaimAsync(passkey.CredentialId, account.UserId, request.Aborted))
        {
            return Problems.Conflict("This passkey is registered already.");
        }

        // The row and the account's count in one transaction (ETag): a concurrent registration or change re-reads and re-checks.
        for (var attempt = 0; attempt < MaxWriteAttempts; attempt++)
        {
            var refused = account.Passkeys >= maxPerUser ? LimitReached() : challenge.IssuedAt <= account.PasskeyFloor ? ChallengeSpent() : null;
            if (refused is null && await passkeys.TryAddAsync(account, passkey, challenge.IssuedAt, request.Aborted))
            {
                challenges.Clear(context.Response);
                await Task.WhenAll(
                    outbox.NotifyAsync(account.UserId, account.Email, SecurityNotice.PasskeyAdded, request.Aborted),
                    events.RaiseAsync(context, Events.AuthEventKind.PasskeyAdded, account.UserId, subject.SessionId));
                return TypedResults.Ok(Info(passkey));
            }

            if (refused is not null || await CurrentAccountAsync(subject, request.Aborted) is not { } reread)
            {
                await GiveUpAsync(passkey, request.Aborted);
                return refused ?? Problems.Conflict("The account is gone.");
            }

            account = reread;
        }

        await GiveUpAsync(passkey, request.Aborted);
        return Problems.Conflict("The account changed meanwhile. Try again.");
    }

    public async Task<Results<Ok<PasskeyListResponse>, ProblemHttpResult>> ListAsync(EndpointRequest<NoBody> request)
    {
        if (!ceremony.Enabled)
        {
            return NotEnabled();
        }

        var list = await passkeys.ListAsync(request.Subject.UserId, request.Aborted);
        return TypedResults.Ok(new PasskeyListResponse([.. list.Select(Info)]));
    }

    public async Task<Results<Ok<PasskeyInfo>, ProblemHttpResult>> RenameAsync(EndpointRequest<PasskeyRenameRequest> request)
    {
        if (!ceremony.Enabled)
        {
            return NotEnabled();
        }

        if (NameProblem(request.Body.Name!, out var name) is { } badName)
        {
            return badName;
        }

        for (var attempt = 0; attempt < MaxWriteAttempts; attempt++)
        {
            if (await FindAsync(request.Subject.UserId, request.Body.Id!, request.Aborted) is not { } passkey)
            {
                return NotFound();
            }

            if (await passkeys.TryRenameAsync(passkey, name, request.Aborted))
            {
                return TypedResults.Ok(Info(passkey with { Name = name }));
            }
        }

        return Problems.Conflict("The passkey changed meanwhile. Try again.");
    }

    public async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(EndpointRequest<PasskeyDeleteRequest> request)
    {
        if (!ceremony.Enabled)
        {
            return NotEnabled();
        }

        var (account, problem) = await ReauthenticateAsync(request.Context, request.Subject, request.Body.Password, request.Body);
        if (problem is not null)
        {
            return problem;
        }

        for (var attempt = 0; attempt < MaxWriteAttempts && account is not null; attempt++)
        {
            if (await FindAsync(account.UserId, request.Body.Id!, request.Aborted) is not { } passkey)
            {
                return NotFound();
            }

            if (!account.HasPassword && account.Passkeys <= 1 && account.ProviderIdentities == 0)
            {
                return Problems.Conflict("This passkey is the account's last way to sign in: add another passkey, a provider or a password before deleting it.");
            }

            if (await passkeys.TryRemoveAsync(account, passkey, request.Aborted))
            {
                await Task.WhenAll(
                    outbox.NotifyAsync(account.UserId, account.Email, SecurityNotice.PasskeyRemoved, request.Aborted),
                    events.RaiseAsync(request.Context, Events.AuthEventKind.PasskeyRemoved, account.UserId, request.Subject.SessionId));
                return TypedResults.NoContent();
            }

            account = await CurrentAccountAsync(request.Subject, request.Aborted);
        }

        return Problems.Conflict("The account changed meanwhile. Try again.");
    }

    /// <summary>The re-authentication before adding or deleting a passkey (<see cref="Reauthentication.RecentOrPasswordAsync"/>).</summary>
    private static Task<(UserAccount? Account, ProblemHttpResult? Problem)> ReauthenticateAsync(
        HttpContext context, TokenSubject subject, string? password, ISecondFactorAnswer secondFactor) =>
        Reauthentication.RecentOrPasswordAsync(context, subject, password, secondFactor);

    /// <summary>The caller's account in its own row (moved there first if the previous release stored it), or null.</summary>
    private async Task<UserAccount?> CurrentAccountAsync(TokenSubject subject, CancellationToken cancellationToken) =>
        await users.FindByIdAsync(subject.UserId, subject.Email, cancellationToken) is { } account ? await accounts.EnsureCurrentAsync(account, cancellationToken) : null;

    private async Task<PasskeyRecord?> FindAsync(string userId, string id, CancellationToken cancellationToken)
    {
        byte[] credentialId;
        try
        {
            credentialId = Base64UrlEncoder.DecodeBytes(id);
        }
        catch (FormatException)
        {
            return null;
        }

        return credentialId.Length is > 0 and <= 1023 ? await passkeys.GetAsync(userId, credentialId, cancellationToken) : null;
    }

    /// <summary>A registration that did not land: its identity goes too, unless the passkey's row exists (registered before).</summary>
    private async Task GiveUpAsync(PasskeyRecord passkey, CancellationToken cancellationToken)
    {
        if (await passkeys.GetAsync(passkey.UserId, passkey.CredentialId, cancellationToken) is null)
        {
            await passkeys.ReleaseAsync(passkey.CredentialId, passkey.UserId, cancellationToken);
        }
    }

    /// <summary>
    /// A name the list shows as typed: 1-64 characters, NFC, no control, format (bidi overrides, zero-width, tags),
    /// private-use or unassigned characters and no broken surrogates, which could make one passkey's name pass for another's.
    /// </summary>
    private static ProblemHttpResult? NameProblem(string given, out string name)
    {
        name = given.Trim();
        return name.Length is 0 or > MaxNameLength || name.EnumerateRunes().Any(IsHidden) || !name.IsNormalized()
            ? Problems.Invalid("name", $"The name must be 1-{MaxNameLength} visible characters (NFC; no control or formatting characters).")
            : null;
    }

    // A lone surrogate enumerates as the replacement character: refused with it.
    private static bool IsHidden(System.Text.Rune rune) => rune == System.Text.Rune.ReplacementChar || System.Text.Rune.GetUnicodeCategory(rune)
        is System.Globalization.UnicodeCategory.Control or System.Globalization.UnicodeCategory.Format
        or System.Globalization.UnicodeCategory.PrivateUse or System.Globalization.UnicodeCategory.OtherNotAssigned;

    private static PasskeyInfo Info(PasskeyRecord passkey) =>
        new(passkey.Id, passkey.Name, passkey.CreatedAt, passkey.LastUsedAt, passkey.BackupEligible, passkey.BackedUp, passkey.Transports);

    private ProblemHttpResult LimitReached() => Problems.Conflict($"This account has {maxPerUser} passkeys, the most it may have: delete one first.");

    private static ProblemHttpResult ChallengeSpent() => Problems.Invalid("credential", "These options were used already: ask for new options.");

    private static ProblemHttpResult NotFound() => Problems.NotFound("No passkey of yours has that id.");

    internal static ProblemHttpResult NotEnabled() => Problems.NotFound("Passkeys are off for this service (Auth__Passkeys__RpId is not set).");
}
