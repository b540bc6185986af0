using System.Diagnostics;
using System.Security.Cryptography;
using Azure.Data.Tables;
using Serverless.Auth.Accounts;
using Serverless.Auth.Passwords;
using Serverless.Benchmarks.Infrastructure;
using Serverless.Testing;

namespace Serverless.Benchmarks;

internal sealed partial class Suite
{
    /// <summary>
    /// Row 5: login p50 with many users stored vs 1,000. Users are inserted straight into the users
    /// table (UserRepository's entity shape) with one precomputed hash, on an Azurite of their own.
    /// </summary>
    private async Task ScaleAsync(string signingKey)
    {
        Section($"scale with users: inserting up to {options.ScaleUsers} users");
        await using var azurite = await AzuriteProcess.StartNewAsync();
        var hash = PasswordHasher.Compute(ApiClient.Password, RandomNumberGenerator.GetBytes(16), Defaults).ToString();
        var small = await InsertUsersAsync(azurite.ConnectionString, "UsersSmall", 1000, TimeSpan.FromMinutes(1), hash);
        var insertStarted = Stopwatch.GetTimestamp();
        var large = await InsertUsersAsync(azurite.ConnectionString, "UsersLarge", options.ScaleUsers, TimeSpan.FromMinutes(options.Quick ? 1 : 5), hash);
        var insertSeconds = ElapsedMs(insertStarted) / 1000;
        var largeCount = large.Length;
        Section($"inserted {largeCount} users in {insertSeconds:F0} s");

        await using var smallApi = await TestApi.StartAsync(ApiSettings.Create(azurite.ConnectionString, "Small", signingKey));
        await using var largeApi = await TestApi.StartAsync(ApiSettings.Create(azurite.ConnectionString, "Large", signingKey));
        using var smallClient = new ApiClient(smallApi.BaseAddress);
        using var largeClient = new ApiClient(largeApi.BaseAddress);
        var smallTable = new TableClient(azurite.ConnectionString, "UsersSmall");
        var largeTable = new TableClient(azurite.ConnectionString, "UsersLarge");
        var random = new Random(11);
        var smallMs = new List<double>();
        var largeMs = new List<double>();
        var smallReads = new List<double>();
        var largeReads = new List<double>();
        var rounds = Count(41, 11);
        for (var i = 0; i < rounds + 3; i++)
        {
            var order = i % 2 == 0 ? new[] { true, false } : [false, true];
            foreach (var isLarge in order)
            {
                var index = isLarge ? large[random.Next(large.Length)] : small[random.Next(small.Length)];
                var email = ScaleEmail(index);
                var outcome = await ApiClient.TimeAsync(() => (isLarge ? largeClient : smallClient).LoginAsync(email));
                Expect(outcome, 200, $"login of stored user {email}");
                var started = Stopwatch.GetTimestamp();
                await (isLarge ? largeTable : smallTable).GetEntityIfExistsAsync<TableEntity>(EmailAddress.StorageKey(email), "account");
                var read = ElapsedMs(started);
                if (i >= 3)
                {
                    (isLarge ? largeMs : smallMs).Add(outcome.Milliseconds);
                    (isLarge ? largeReads : smallReads).Add(read);
                }
            }
        }

        var smallP50 = Stats.Median(smallMs);
        var largeP50 = Stats.Median(largeMs);
        var ratio = largeP50 / smallP50;
        var label = largeCount >= 100_000 ? "100,000" : $"{largeCount:N0} (time-boxed; 100,000 did not fit)";
        report.Add(new Row($"scale with users: login p50 with {label} users stored vs 1,000 ({rounds} logins each, interleaved)",
            $"{Ms(largeP50)} vs {Ms(smallP50)}", "≤ 1.1×", Ratio(ratio), ratio <= 1.1));
        report.Note($"scale: inserted {largeCount:N0} users in {insertSeconds:F0} s ({largeCount / insertSeconds:F0}/s, 32 concurrent point inserts into Azurite); "
            + $"one users-table point read p50: {Ms(Stats.Median(largeReads))} with {largeCount:N0} rows vs {Ms(Stats.Median(smallReads))} with 1,000.");
    }

    private static string ScaleEmail(int index) => $"user{index:D6}@scale.bench.test";

    /// <summary>Inserts up to <paramref name="count"/> users, 32 at a time, until the time box ends; returns the inserted indices.</summary>
    private static async Task<int[]> InsertUsersAsync(string connectionString, string tableName, int count, TimeSpan timeBox, string hash)
    {
        var table = new TableClient(connectionString, tableName);
        await table.CreateIfNotExistsAsync();
        var inserted = new bool[count];
        var createdAt = DateTimeOffset.UtcNow;
        using var deadline = new CancellationTokenSource(timeBox);
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = deadline.Token }, async (i, cancellationToken) =>
            {
                // As the service stores a user: the account row keyed by user id, then the email identity pointing at it.
                var email = ScaleEmail(i);
                var userId = Guid.CreateVersion7().ToString();
                var account = new TableEntity(userId, "user")
                {
                    ["UserId"] = userId,
                    ["Email"] = email,
                    ["PasswordHash"] = hash,
                    ["CreatedAt"] = createdAt,
                };
                await table.AddEntityAsync(account, CancellationToken.None);
                var identity = new TableEntity(EmailAddress.StorageKey(email), "account") { ["Kind"] = "email", ["AccountId"] = userId, ["PasswordHash"] = hash };
                await table.AddEntityAsync(identity, CancellationToken.None);
                inserted[i] = true;
            });
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            // Time box reached: use what is stored.
        }

        return [.. Enumerable.Range(0, count).Where(i => inserted[i])];
    }
}
