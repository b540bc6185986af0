using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Serverless.Auth.Accounts;
using Serverless.Auth.Storage;

namespace Serverless.Auth.Throttling;

/// <summary>
/// Per-email failed-login backoff in Table Storage, so it holds across instances; keyed like the
/// users table, by the hash of the canonical email. Kept for any
/// email, registered or not, so a 429 never reveals that an account exists. Updates use ETags: two
/// instances counting the same failure at once cannot lose one.
/// </summary>
internal sealed class LoginThrottle(AuthTables tables, TimeProvider time, IOptions<ThrottlingOptions> options)
{
    private const string Row = "login";
    private const int MaxConcurrencyRetries = 5;
    private static readonly DateTimeOffset NotBlocked = DateTimeOffset.UnixEpoch;
    private readonly ThrottlingOptions settings = options.Value;

    /// <summary>How long this email must wait (zero: it may try now), and whether failures are on record.</summary>
    public async Task<(TimeSpan Wait, bool HasFailures)> CheckAsync(string normalizedEmail, CancellationToken cancellationToken)
    {
        var row = await tables.LoginThrottle.GetEntityIfExistsAsync<TableEntity>(EmailAddress.StorageKey(normalizedEmail), Row, cancellationToken: cancellationToken);
        if (!row.HasValue)
        {
            return (TimeSpan.Zero, false);
        }

        var wait = (row.Value!.GetDateTimeOffset("BlockedUntil") ?? NotBlocked) - time.GetUtcNow();
        return (wait > TimeSpan.Zero ? wait : TimeSpan.Zero, true);
    }

    public async Task RecordFailureAsync(string normalizedEmail, CancellationToken cancellationToken)
    {
        var key = EmailAddress.StorageKey(normalizedEmail);
        for (var attempt = 0; attempt < MaxConcurrencyRetries; attempt++)
        {
            var row = await tables.LoginThrottle.GetEntityIfExistsAsync<TableEntity>(key, Row, cancellationToken: cancellationToken);
            var failures = (row.HasValue ? row.Value!.GetInt32("Failures") ?? 0 : 0) + 1;
            var entity = new TableEntity(key, Row) { ["Failures"] = failures, ["BlockedUntil"] = BlockedUntil(failures) };
            try
            {
                if (row.HasValue)
                {
                    await tables.LoginThrottle.UpdateEntityAsync(entity, row.Value!.ETag, TableUpdateMode.Replace, cancellationToken);
                }
                else
                {
                    await tables.LoginThrottle.AddEntityAsync(entity, cancellationToken);
                }

                return;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // Another instance counted a failure at the same moment: read again and add ours on top.
            }
        }
    }

    public async Task ResetAsync(string normalizedEmail, CancellationToken cancellationToken)
    {
        try
        {
            await tables.LoginThrottle.DeleteEntityAsync(EmailAddress.StorageKey(normalizedEmail), Row, ETag.All, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // Nothing recorded: nothing to reset.
        }
    }

    private DateTimeOffset BlockedUntil(int failures)
    {
        if (failures < settings.FreeFailures)
        {
            return NotBlocked;
        }

        var doublings = Math.Min(failures - settings.FreeFailures, 30);
        var delay = Math.Min(settings.BaseDelaySeconds * Math.Pow(2, doublings), settings.MaxDelaySeconds);
        return time.GetUtcNow().AddSeconds(delay);
    }
}
