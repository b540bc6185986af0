using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using QRCoder;
using Serverless.Auth.Accounts;
using Serverless.Auth.Email;
using Serverless.Auth.Http;
using Serverless.Auth.Sessions;
using Serverless.Auth.Throttling;

namespace Serverless.Auth.Mfa;

/// <summary>
/// The signed-in user's TOTP factor and recovery codes: set up (a pending secret), enable (a code proves the app has it;
/// the recovery codes are shown once; other sessions end), disable, new recovery codes, and the status. Every change is
/// an ETag write of the account row, read again and retried when another write landed first.
/// </summary>
internal sealed class MfaEndpoints(
    AccountService accounts,
    UserRepository users,
    DeviceCookies devices,
    SecondFactor secondFactor,
    TotpSecretBox secrets,
    RecoveryCodes recoveryCodes,
    MfaIssuer issuer,
    SessionService sessions,
    MailOutbox outbox,
    Events.AuthEvents events)
{
    private const int MaxWriteAttempts = 4;

    public static readonly EndpointDeclaration Setup = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Set up TOTP",
            Description = "Checks the password and makes a new TOTP secret (160 bits), stored encrypted and not active yet: the answer carries it (base32), "
                + "its otpauth:// URI and a QR code (SVG) once; enable it with a code. Setting up again replaces a secret not yet enabled. 409 when TOTP is already on.",
            RateLimit = RateLimitedAction.Credentials,
            RequiresSession = true,
            Answers = [StatusCodes.Status409Conflict],
        },
        static (MfaEndpoints endpoint, EndpointRequest<MfaSetupRequest> request) => endpoint.SetupAsync(request));

    public static readonly EndpointDeclaration Enable = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Enable TOTP",
            Description = "A code from the app set up with the secret makes the factor active: the answer has 10 recovery codes, shown this once. "
                + "Every other session of the account ends. 400 errors.code for a wrong code (wrong codes count toward the account's second-factor backoff).",
            RateLimit = RateLimitedAction.Credentials,
            RequiresSession = true,
            Answers = [StatusCodes.Status409Conflict],
        },
        static (MfaEndpoints endpoint, EndpointRequest<MfaCodeRequest> request) => endpoint.EnableAsync(request));

    public static readonly EndpointDeclaration Disable = EndpointDeclaration.For(
        new Operation
        {
            Summary = "Disable TOTP",
            Description = "The password and a code (or a recovery code; no code when this session checked one within Auth__Mfa__StepUpSeconds) turn "
                + "the factor off and drop the recovery codes. 204 also when no factor was on.",
            RateLimit = RateLimitedAction.Credentials,
            RequiresSession = true,
            Answers = [StatusCodes.Status409Conflict],
        },
        static (MfaEndpoints endpoint, EndpointRequest<MfaChangeRequest> request) => endpoint.DisableAsync(request));

    public static readonly EndpointDeclaration NewRecoveryCodes = EndpointDeclaration.For(
        new Operation
        {
            Summary = "New recovery codes",
            Description = "The password and a code (as for disabling) replace the recovery codes with 10 new ones, shown this once; the old ones stop working. "
                + "409 when no factor is on.",
            RateLimit = RateLimitedAction.Credentials,
            RequiresSession = true,
            Answers = [StatusCodes.Status409Conflict],
        },
        static (MfaEndpoints endpoint, EndpointRequest<MfaChangeRequest> request) => endpoint.NewRecoveryCodesAsync(request));

    public static readonly EndpointDeclaration Status = EndpointDeclaration.For(
        new Operation
        {
            Summary = "My second factors",
            Description = "Whether TOTP is on, how many recovery codes are left, and how many passkeys are registered. Never a secret.",
            ChecksOrigin = false,
            RequiresSession = true,
        },
        static (MfaEndpoints endpoint, EndpointRequest<NoBody> request) => endpoint.StatusAsync(request));

    public async Task<Results<Ok<MfaSetupResponse>, ProblemHttpResult>> SetupAsync(EndpointRequest<MfaSetupRequest> request)
    {
        var (context, subject) = (request.Context, request.Subject);
        if (await users.FindByIdAsync(subject.UserId, subject.Email, request.Aborted) is { Mfa.TotpEnabled: true })
        {
            return AlreadyEnabled();
        }

        var (account, problem, _) = await Reauthentication.CheckAsync(
            accounts, devices, context, subject, request.Body.Password!, "password", "The password is incorrect.", NoSecondFactor.Instance);
        if (problem is not null)
        {
            return problem;
        }

        var secret = TotpCodes.NewSecret();
        var sealedSecret = secrets.Seal(account!.UserId, secret);
        var written = await UpdateAsync(account, state => state.TotpEnabled ? null : state with { TotpPending = sealedSecret }, request.Aborted);
        if (written is null)
        {
            return AlreadyEnabled();
        }

        var uri = TotpCodes.OtpAuthUri(issuer.Name, written.Email, secret);
        return TypedResults.Ok(new MfaSetupResponse(TotpCodes.Base32(secret), uri, QrSvg(uri)));
    }

    public async Task<Results<Ok<RecoveryCodesResponse>, ProblemHttpResult>> EnableAsync(EndpointRequest<MfaCodeRequest> request)
    {
        var (context, subject) = (request.Context, request.Subject);
        var account = await CurrentAccountAsync(subject.UserId, subject.Email, request.Aborted);
        if (account is null)
        {
            return Problems.Conflict("The account is gone.");
        }

        if (account.Mfa.TotpEnabled)
        {
            return AlreadyEnabled();
        }

        if (account.Mfa.TotpPending.Length == 0 || string.IsNullOrEmpty(request.Body.Code))
        {
            return Problems.Invalid("code", account.Mfa.TotpPending.Length == 0 ? "Set up TOTP first (POST /api/auth/mfa/totp/setup)." : "Code is required.");
        }

        var codes = RecoveryCodes.Generate();
        var hashes = codes.Select(recoveryCodes.Hash).ToList();
        var check = await secondFactor.CheckAsync(
            account, new MfaCodeRequest(request.Body.Code, null), state => state.TotpPending,
            state => state with { TotpSecret = state.TotpPending, TotpPending = "", RecoveryCodes = hashes }, request.Aborted,
            stillApplies: current => !current.Mfa.TotpEnabled);
        switch (check)
        {
            case SecondFactorCheck.Accepted(var enabled, _, var reservation):
                // A right code is no failure: it clears its own place in the counter.
                await secondFactor.ClearAsync(enabled.UserId, reservation, request.Aborted);
                // Whoever else is signed in (perhaps with the leaked password this factor is meant to stop) is signed out.
                await sessions.EndOthersAsync(enabled.UserId, subject.SessionId, request.Aborted);
                await Task.WhenAll(
                    outbox.NotifyAsync(enabled.UserId, enabled.Email, SecurityNotice.TotpEnabled, request.Aborted),
                    events.RaiseAsync(context, Events.AuthEventKind.MfaEnabled, enabled.UserId, subject.SessionId, "totp"));
                return TypedResults.Ok(new RecoveryCodesResponse(codes));
            case SecondFactorCheck.Rejected:
                return Problems.Invalid("code", "The code is incorrect. Check the app was set up with the secret just shown, and the device's clock.");
            case SecondFactorCheck.Throttled(var wait):
                return Problems.TooManyRequests(context.Response, wait, "Too many wrong codes for this account. Wait before trying again.");
            default:
                return AlreadyEnabled();
        }
    }

    public async Task<Results<NoContent, ProblemHttpResult>> DisableAsync(EndpointRequest<MfaChangeRequest> request)
    {
        var (account, problem) = await ReauthenticateAsync(request);
        if (problem is not null)
        {
            return problem;
        }

        if (!account!.Mfa.TotpEnabled)
        {
            return TypedResults.NoContent();
        }

        if (await UpdateAsync(account, state => state with { TotpSecret = "", TotpPending = "", RecoveryCodes = [] }, request.Aborted) is not { } disabled)
        {
            return Problems.Conflict("The account changed meanwhile. Try again.");
        }

        await Task.WhenAll(
            outbox.NotifyAsync(disabled.UserId, disabled.Email, SecurityNotice.TotpDisabled, request.Aborted),
            events.RaiseAsync(request.Context, Events.AuthEventKind.MfaDisabled, disabled.UserId, request.Subject.SessionId, "totp"));
        return TypedResults.NoContent();
    }

    public async Task<Results<Ok<RecoveryCodesResponse>, ProblemHttpResult>> NewRecoveryCodesAsync(EndpointRequest<MfaChangeRequest> request)
    {
        var (account, problem) = await ReauthenticateAsync(request);
        if (problem is not null)
        {
            return problem;
        }

        var codes = RecoveryCodes.Generate();
        var hashes = codes.Select(recoveryCodes.Hash).ToList();
        if (await UpdateAsync(account!, state => state.TotpEnabled ? state with { RecoveryCodes = hashes } : null, request.Aborted) is not { } written)
        {
            return Problems.Conflict("Recovery codes come with a second factor: enable TOTP first.");
        }

        await Task.WhenAll(
            outbox.NotifyAsync(written.UserId, written.Email, SecurityNotice.RecoveryCodesRegenerated, request.Aborted),
            events.RaiseAsync(request.Context, Events.AuthEventKind.MfaRecoveryCodesCreated, written.UserId, request.Subject.SessionId));
        return TypedResults.Ok(new RecoveryCodesResponse(codes));
    }

    public async Task<Results<Ok<MfaStatusResponse>, ProblemHttpResult>> StatusAsync(EndpointRequest<NoBody> request)
    {
        var subject = request.Subject;
        var account = await users.FindByIdAsync(subject.UserId, subject.Email, request.Aborted);
        var mfa = account?.Mfa ?? MfaState.None;
        return TypedResults.Ok(new MfaStatusResponse(mfa.TotpEnabled, mfa.TotpEnabled ? mfa.RecoveryCodes.Count : 0, account?.Passkeys ?? 0));
    }

    /// <summary>The password, then the step-up's code unless this session checked one recently.</summary>
    private async Task<(UserAccount? Account, ProblemHttpResult? Problem)> ReauthenticateAsync(EndpointRequest<MfaChangeRequest> request)
    {
        var (account, problem, _) = await Reauthentication.CheckAsync(
            accounts, devices, request.Context, request.Subject, request.Body.Password!, "password", "The password is incorrect.", request.Body);
        return (account, problem);
    }

    /// <summary>The account in its own row (moved there first if the previous release stored it), or null.</summary>
    private async Task<UserAccount?> CurrentAccountAsync(string userId, string emailHint, CancellationToken cancellationToken) =>
        await users.FindByIdAsync(userId, emailHint, cancellationToken) is { } account ? await accounts.EnsureCurrentAsync(account, cancellationToken) : null;

    /// <summary>
    /// Writes <paramref name="change"/> of the account's second factors (ETag), reading the row again after a lost race
    /// and applying the change to it; null when the change no longer applies (it returned null) or kept losing.
    /// </summary>
    private async Task<UserAccount?> UpdateAsync(UserAccount account, Func<MfaState, MfaState?> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxWriteAttempts; attempt++)
        {
            if (await accounts.EnsureCurrentAsync(account, cancellationToken) is not { } current || change(current.Mfa) is not { } next)
            {
                return null;
            }

            if (await users.TryWriteMfaAsync(current, next, cancellationToken) is { } written)
            {
                return written;
            }

            if (await users.FindByIdAsync(current.UserId, current.Email, cancellationToken) is not { } reread)
            {
                return null;
            }

            account = reread;
        }

        return null;
    }

    private static string QrSvg(string uri)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(uri, QRCodeGenerator.ECCLevel.M);
        return new SvgQRCode(data).GetGraphic(4);
    }

    private static ProblemHttpResult AlreadyEnabled() => Problems.Conflict("TOTP is already enabled for this account.");

    /// <summary>No code offered: for setting up, where the account has no active factor to ask for.</summary>
    private sealed class NoSecondFactor : ISecondFactorAnswer
    {
        public static NoSecondFactor Instance { get; } = new();

        public string? Code => null;

        public string? RecoveryCode => null;
    }
}
