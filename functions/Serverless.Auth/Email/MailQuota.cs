using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Serverless.Auth.Accounts;
using Serverless.Auth.Storage;

namespace Serverless.Auth.Email;

/// <summary>
/// The per-address mail caps (<see cref="EmailOptions.MaxPerAddressPerHour"/>, <see cref="EmailOptions.MaxPerAddressPerDay"/>).
/// One row per address in the mail quotas table (partition = the address's storage key) lists the mails
/// counted in the last 24 hours: when, and a short id of the message's token. Every sender on every
/// instance counts against that row with an ETag compare-and-swap, so the caps hold however the requests
/// are spread. The only code that knows the row's shape.
/// </summary>
internal sealed class MailQuota(AuthTables tables, IOptions<EmailOptions> options, TimeProvider time)
{
    /// <summary>The ceiling of both settings: a full day of ids still fits one string property.</summary>
    public const int MaxPerDay = 1000;

    private const string QuotaRow = "quota";
    private const int MaxAttempts = 8;

    // 72 bits of the token's hash: enough to recognise a retried message, short enough for a day of them in one property.
    private const int IdLength = 12;
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    private readonly EmailOptions settings = options.Value;

    /// <summary>
    /// Counts a mail to the address; false when the address already had its share of the last hour or day
    /// (then nothing is written). A message seen before (a retry after a failed send: the same token) was
    /// already counted and is let through again. Throws when storage is unreachable or the row kept changing
    /// under it: the queue retries the message.
    /// </summary>
    public async Task<bool> TryCountAsync(string canonicalEmail, string tokenHash, CancellationToken cancellationToken)
    {
        var key = EmailAddress.StorageKey(canonicalEmail);
        var id = tokenHash[..IdLength];
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var now = time.GetUtcNow();
            var row = await tables.MailQuotas.GetEntityIfExistsAsync<TableEntity>(key, QuotaRow, cancellationToken: cancellationToken);
            var stored = row.HasValue && row.Value is { } entity ? entity : null;
            var counted = Parse(stored?.GetString("Sent")).Where(mail => now - mail.At < Day).ToList();
            if (counted.Any(mail => mail.Id == id))
            {
                return true;
            }

            if (counted.Count >= settings.MaxPerAddressPerDay || counted.Count(mail => now - mail.At < Hour) >= settings.MaxPerAddressPerHour)
            {
                return false;
            }

            counted.Add((now, id));
            var updated = new TableEntity(key, QuotaRow)
            {
                ["Sent"] = string.Join(' ', counted.Select(mail => mail.At.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) + ":" + mail.Id)),
                // The clean-up deletes the row once its newest mail is a day old: it no longer limits anything.
                ["ExpiresAt"] = now + Day,
            };
            try
            {
                if (stored is null)
                {
                    await tables.MailQuotas.AddEntityAsync(updated, cancellationToken);
                }
                else
                {
                    await tables.MailQuotas.UpdateEntityAsync(updated, stored.ETag, TableUpdateMode.Replace, cancellationToken);
                }

                return true;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // Another sender counted a mail to this address meanwhile: read again and decide on its numbers.
            }
        }

        throw new InvalidOperationException("The per-address mail count kept changing under this sender; the queue retries the message.");
    }

    /// <summary>The clean-up's filter: rows whose newest mail no longer counts toward any window.</summary>
    public static string ExpiredFilter(DateTimeOffset now) => TableClient.CreateQueryFilter($"ExpiresAt lt {now}");

    /// <summary>Unreadable entries are dropped rather than trusted: at worst an address gets a mail more.</summary>
    private static IEnumerable<(DateTimeOffset At, string Id)> Parse(string? sent)
    {
        foreach (var entry in (sent ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = entry.Split(':');
            if (parts.Length == 2 && parts[1].Length == IdLength
                && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds <= DateTimeOffset.MaxValue.ToUnixTimeSeconds())
            {
                yield return (DateTimeOffset.FromUnixTimeSeconds(seconds), parts[1]);
            }
        }
    }
}
