using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Microsoft.IdentityModel.Tokens;
using Serverless.Auth.Accounts;
using Serverless.Auth.Secrets;
using Serverless.Auth.Storage;

namespace Serverless.Auth.Oidc;

/// <summary>
/// A one-time code as opened: the account, the provider, the frontend's challenge, until when (Unix ms), and the
/// provider's identity (its subject and address). A sign-in's starts that account's session, once the account is found to
/// hold that identity's link (else the identity is resolved again); a link's (<see cref="PasswordStamp"/> set) adds the
/// identity to the account, once its own signed-in session confirms it, under the password stamp the link was asked with.
/// </summary>
internal sealed record SignInCode(
    string UserId, string Provider, string Challenge, long ExpiresAt, string Subject, string? Email, bool EmailVerified = false, string? PasswordStamp = null)
{
    public bool IsLink => PasswordStamp is not null;

    public ProviderIdentity Identity => new(Subject, Email, EmailVerified, []);
}

/// <summary>A link ticket as redeemed: the account it names, the stamp of the password it was issued under, the frontend's challenge.</summary>
internal sealed record RedeemedTicket(string UserId, string PasswordStamp, string Challenge);

/// <summary>
/// The social sign-in's single-use values, in the mail tokens table (its clean-up removes expired rows), keyed
/// <c>oidc.</c> + base64url(SHA-256(value)) (the value itself is never stored):
/// <list type="bullet">
/// <item>the <b>one-time code</b> the callback hands the frontend (60 s): sealed with the server key (AES-GCM: the
/// account, the provider, the frontend's challenge, the expiry, the identity; a link's also the password stamp), so the
/// callback writes nothing; the exchange spends it by inserting its marker row (row <c>SignIn</c>): of concurrent uses
/// exactly one insert lands, whether or not its verifier matched, so a code is tried once.</item>
/// <item>the <b>link ticket</b> of a start URL (5 minutes, row <c>Link</c>): the account and its password's stamp, spent
/// by a conditional update with its ETag.</item>
/// </list>
/// </summary>
internal sealed class OidcTickets(AuthTables tables, ServerKey serverKey, TimeProvider time)
{
    public static readonly TimeSpan SignInLifetime = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan LinkLifetime = TimeSpan.FromMinutes(5);
    private const string PartitionPrefix = "oidc.";
    private const string SignInRow = "SignIn";
    private const string LinkRow = "Link";
    private const string SpentColumn = "Spent";
    // c2: the identity is sealed in every code (c1 codes, of the release before, are refused: they live 60 seconds).
    private const string CodeVersion = "c2";
    private const int MaxCodeLength = 8192;
    private static readonly byte[] CodePurpose = "oidc-sign-in-code-v1"u8.ToArray();

    /// <summary>A sealed one-time code that signs <paramref name="identity"/> in to the account <paramref name="userId"/>, bound to the frontend's challenge.</summary>
    public string IssueSignIn(string userId, string provider, string frontendChallenge, ProviderIdentity identity) =>
        Issue(new SignInCode(userId, provider, frontendChallenge, 0, identity.Subject, Bounded(identity.Email), identity.EmailVerified));

    /// <summary>A sealed one-time code that links <paramref name="identity"/> to the account once its session confirms it.</summary>
    public string IssueLink(string userId, string provider, string frontendChallenge, ProviderIdentity identity, string passwordStamp) =>
        Issue(new SignInCode(userId, provider, frontendChallenge, 0, identity.Subject, Bounded(identity.Email), PasswordStamp: passwordStamp));

    // An address longer than any valid one is useless to every use of it (an account is made only for a valid address).
    private static string? Bounded(string? email) => email is { Length: <= EmailAddress.MaxLength } ? email : null;

    private string Issue(SignInCode code)
    {
        var plain = JsonSerializer.SerializeToUtf8Bytes(code with { ExpiresAt = (time.GetUtcNow() + SignInLifetime).ToUnixTimeMilliseconds() }, OidcFlowJson.Default.SignInCode);
        return CodeVersion + "." + serverKey.Seal(CodePurpose, plain, []);
    }

    /// <summary>The code's contents when it opens under a key of the ring and has not expired; else null. Spends nothing.</summary>
    public SignInCode? OpenSignIn(string code)
    {
        if (code.Length > MaxCodeLength || !code.StartsWith(CodeVersion + ".", StringComparison.Ordinal)
            || serverKey.Open(CodePurpose, code[(CodeVersion.Length + 1)..], []) is not { } plain
            || JsonSerializer.Deserialize(plain, OidcFlowJson.Default.SignInCode) is not { } opened
            || opened.ExpiresAt <= time.GetUtcNow().ToUnixTimeMilliseconds())
        {
            return null;
        }

        return opened;
    }

    /// <summary>Spends the code: true for the one use whose marker insert lands, false for every other (also concurrent ones, on any instance).</summary>
    public Task<bool> TrySpendAsync(string code, SignInCode opened, CancellationToken cancellationToken) =>
        ConditionalWrites.TryAsync(() => tables.MailTokens.AddEntityAsync(
            new TableEntity(PartitionOf(code), SignInRow) { ["ExpiresAt"] = DateTimeOffset.FromUnixTimeMilliseconds(opened.ExpiresAt) }, cancellationToken));

    public async Task<string> IssueLinkAsync(string userId, string passwordStamp, string frontendChallenge, CancellationToken cancellationToken)
    {
        var ticket = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var row = new TableEntity(PartitionOf(ticket), LinkRow)
        {
            ["UserId"] = userId,
            ["PasswordStamp"] = passwordStamp,
            ["Challenge"] = frontendChallenge,
            ["ExpiresAt"] = time.GetUtcNow() + LinkLifetime,
        };
        await tables.MailTokens.AddEntityAsync(row, cancellationToken);
        return ticket;
    }

    /// <summary>Spends the link ticket and returns whose it is; null when it is unknown, expired or spent already (also by a concurrent use).</summary>
    public async Task<RedeemedTicket?> RedeemLinkAsync(string ticket, CancellationToken cancellationToken)
    {
        if (ticket.Length is < 32 or > 64
            || await tables.MailTokens.FindAsync(PartitionOf(ticket), LinkRow, cancellationToken) is not { } row
            || row.GetBoolean(SpentColumn) == true
            || !(row.GetDateTimeOffset("ExpiresAt") > time.GetUtcNow()))
        {
            return null;
        }

        var spent = await ConditionalWrites.TryAsync(() =>
            tables.MailTokens.UpdateEntityAsync(new TableEntity(row.PartitionKey, row.RowKey) { [SpentColumn] = true }, row.ETag, TableUpdateMode.Merge, cancellationToken));
        return spent ? new RedeemedTicket(row.GetString("UserId") ?? "", row.GetString("PasswordStamp") ?? "", row.GetString("Challenge") ?? "") : null;
    }

    /// <summary>A PKCE S256 pair: the verifier's <see cref="ChallengeOf"/> equals the challenge (compared in fixed time).</summary>
    public static bool Matches(string verifier, string challenge) =>
        verifier.Length is >= 43 and <= 128
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(ChallengeOf(verifier)), Encoding.ASCII.GetBytes(challenge));

    /// <summary>PKCE's S256: base64url(SHA-256(ASCII value)); also the key a value is stored under here.</summary>
    public static string ChallengeOf(string value) => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(value)));

    private static string PartitionOf(string value) => PartitionPrefix + ChallengeOf(value);
}
