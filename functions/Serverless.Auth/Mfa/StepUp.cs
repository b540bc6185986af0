using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Serverless.Auth.Accounts;
using Serverless.Auth.Http;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Mfa;

/// <summary>
/// The second factor a sensitive change asks for on an account that has one (after the password): a code or a recovery
/// code, unless this session's last second-factor check (its token's <c>mfa_time</c>) is within
/// <c>Auth__Mfa__StepUpSeconds</c>. Codes are checked and spent as at sign-in, under the same counter.
/// </summary>
internal sealed class StepUp(SecondFactor secondFactor, IOptions<MfaOptions> options, TimeProvider time)
{
    private readonly TimeSpan window = options.Value.StepUpWindow;

    /// <returns>
    /// The account to go on with (as written, when a code was spent) and the method checked now ("otp", "rcv", or null
    /// when none was needed); or the problem to answer.
    /// </returns>
    public async Task<(UserAccount? Account, string? Method, ProblemHttpResult? Problem)> CheckAsync(
        UserAccount account, TokenSubject subject, ISecondFactorAnswer answer, HttpResponse response, CancellationToken cancellationToken)
    {
        if (!account.Mfa.TotpEnabled || IsRecent(subject))
        {
            return (account, null, null);
        }

        if (string.IsNullOrEmpty(answer.Code) && string.IsNullOrEmpty(answer.RecoveryCode))
        {
            return (null, null, Problems.Invalid("code", "A code from your authenticator app (or a recovery code) is required for this change."));
        }

        var check = await secondFactor.CheckAsync(account, answer, state => state.TotpSecret, alsoWrite: null, cancellationToken);
        if (check is SecondFactorCheck.Accepted(var written, var method, var reservation))
        {
            // A right answer is no failure: it clears its own place in the counter (and the failures before it).
            await secondFactor.ClearAsync(written.UserId, reservation, cancellationToken);
            return (written, method, null);
        }

        return check switch
        {
            SecondFactorCheck.Rejected(var field) => (null, null, Problems.Invalid(field, field == "code" ? "The code is incorrect or was used already." : "The recovery code is incorrect or was used already.")),
            SecondFactorCheck.Throttled(var wait) => (null, null, Problems.TooManyRequests(response, wait, "Too many wrong codes for this account. Wait before trying again.")),
            _ => (null, null, Problems.Conflict("The account's second factor changed meanwhile. Try again.")),
        };
    }

    /// <summary>How a session started from this one was signed in: its methods, plus the second factor checked now, if any.</summary>
    public (IReadOnlyList<string> Amr, DateTimeOffset? SecondFactorAt) Carried(TokenSubject subject, string? methodNow) =>
        methodNow is null ? (subject.Amr, subject.SecondFactorAt) : (Amr.WithSecondFactor(methodNow), time.GetUtcNow());

    /// <summary>Whether this session checked a second factor within the step-up window (a time further ahead of the clock than instances may disagree counts as not recent).</summary>
    public bool IsRecent(TokenSubject subject) =>
        subject.SecondFactorAt is { } at && MfaOptions.IsRecent(at, time.GetUtcNow(), window);
}

/// <summary>
/// RFC 8176 authentication method lists. The ones this service issues are shared instances, so a token subject
/// read back from a token equals the one issued (records compare lists by reference).
/// </summary>
internal static class Amr
{
    public static readonly IReadOnlyList<string> Password = ["pwd"];
    public static readonly IReadOnlyList<string> PasswordAndCode = ["pwd", "otp", "mfa"];
    public static readonly IReadOnlyList<string> PasswordAndRecoveryCode = ["pwd", "mfa", "rcv"];

    public static readonly IReadOnlyList<string> SyncedPasskey = ["swk", "mfa"];
    public static readonly IReadOnlyList<string> DevicePasskey = ["hwk", "mfa"];
    public static readonly IReadOnlyList<string> PasswordAndSyncedPasskey = ["pwd", "swk", "mfa"];
    public static readonly IReadOnlyList<string> PasswordAndDevicePasskey = ["pwd", "hwk", "mfa"];

    /// <summary>A provider sign-in (social sign-in); the provider's own methods are recorded, never trusted as a second factor here.</summary>
    public static readonly IReadOnlyList<string> Federated = ["fed"];
    public static readonly IReadOnlyList<string> FederatedAndCode = ["fed", "otp", "mfa"];
    public static readonly IReadOnlyList<string> FederatedAndRecoveryCode = ["fed", "mfa", "rcv"];
    public static readonly IReadOnlyList<string> FederatedAndSyncedPasskey = ["fed", "swk", "mfa"];
    public static readonly IReadOnlyList<string> FederatedAndDevicePasskey = ["fed", "hwk", "mfa"];

    /// <summary>
    /// A password and then <paramref name="method"/>: <c>["pwd","otp","mfa"]</c>, for a recovery code <c>["pwd","mfa","rcv"]</c>,
    /// for a passkey <c>["pwd","swk","mfa"]</c> (synced) or <c>["pwd","hwk","mfa"]</c>.
    /// </summary>
    public static IReadOnlyList<string> WithSecondFactor(string method, string firstFactor = "pwd") => (firstFactor, method) switch
    {
        ("fed", "otp") => FederatedAndCode,
        ("fed", "swk") => FederatedAndSyncedPasskey,
        ("fed", "hwk") => FederatedAndDevicePasskey,
        ("fed", _) => FederatedAndRecoveryCode,
        (_, "otp") => PasswordAndCode,
        (_, "swk") => PasswordAndSyncedPasskey,
        (_, "hwk") => PasswordAndDevicePasskey,
        _ => PasswordAndRecoveryCode,
    };

    /// <summary>
    /// A passkey alone (<c>swk</c> synced, <c>hwk</c> device-bound): two factors, since user verification (a PIN or
    /// biometrics on the authenticator) is required, so <c>mfa</c> too.
    /// </summary>
    public static IReadOnlyList<string> WithPasskey(string method) => method == "swk" ? SyncedPasskey : DevicePasskey;

    private static readonly IReadOnlyList<string>[] Issued =
        [
            Password, PasswordAndCode, PasswordAndRecoveryCode, SyncedPasskey, DevicePasskey, PasswordAndSyncedPasskey, PasswordAndDevicePasskey,
            Federated, FederatedAndCode, FederatedAndRecoveryCode, FederatedAndSyncedPasskey, FederatedAndDevicePasskey,
        ];

    /// <summary>The shared instance of a list this service issues; any other list as it is.</summary>
    public static IReadOnlyList<string> Canonical(IReadOnlyList<string> methods) =>
        Issued.FirstOrDefault(known => known.SequenceEqual(methods, StringComparer.Ordinal)) ?? methods;
}
