namespace Serverless.Auth.Mfa;

/// <summary>
/// An account's second factors as stored on its row (every write is an ETag merge of these columns, so the previous
/// release, which merges its own columns, keeps them).
/// </summary>
/// <param name="TotpSecret">The active TOTP secret, sealed (<see cref="TotpSecretBox"/>); empty: no TOTP.</param>
/// <param name="TotpPending">A secret set up but not confirmed with a code yet, sealed; empty: none.</param>
/// <param name="TotpLastStep">The last time step accepted: that step and every earlier one are refused (replay).</param>
/// <param name="RecoveryCodes">The unused recovery codes' keyed hashes (<see cref="RecoveryCodes"/>).</param>
/// <param name="PendingFloor">
/// Unix milliseconds: a pending sign-in (the second step's cookie) issued at or before it is spent. Written with the
/// code that completes a sign-in, so each pending cookie completes at most one.
/// </param>
internal sealed record MfaState(string TotpSecret, string TotpPending, long TotpLastStep, IReadOnlyList<string> RecoveryCodes, long PendingFloor)
{
    public static MfaState None { get; } = new("", "", 0, [], 0);

    public bool TotpEnabled => TotpSecret.Length > 0;
}
