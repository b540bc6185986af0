namespace Serverless.Auth;

/// <summary>
/// Thrown when a sign-in finds its account disabled after its session was started (an admin disabled it meanwhile): the
/// session is ended first. The endpoint dispatcher answers 403 <c>account_disabled</c>; it never reaches the host.
/// </summary>
internal sealed class AccountDisabledException() : Exception("The account is disabled.");
