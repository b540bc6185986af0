using Microsoft.Extensions.Options;
using Serverless.Auth.Storage;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tokens;

namespace Serverless.Auth.Tests.Tokens;

/// <summary>The revocation storage shapes on real Azurite: what a sync reads, the fail-closed point reads, pruning.</summary>
public sealed class RevocationStoreTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<RevocationStore> NewStoreAsync()
    {
        var storage = Options.Create(new StorageOptions
        {
            ConnectionString = azurite.ConnectionString,
            RevocationsTable = "Rev" + Guid.NewGuid().ToString("N")[..10],
        });
        var tables = new AuthTables(storage);
        await tables.Revocations.CreateIfNotExistsAsync(Ct);
        return new RevocationStore(tables, storage, Options.Create(new JwtOptions()));
    }

    [Fact]
    public async Task ASyncReadsOnlyWhatWasWrittenSinceItsWindowNotWhatIsLive()
    {
        var store = await NewStoreAsync();
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < 50; i++)
        {
            await store.WriteAsync(new RevocationEntry($"old-{i}", now.AddMinutes(10)), now.AddMinutes(-5), Ct);
        }

        await store.WriteAsync(new RevocationEntry("new-jti", now.AddMinutes(10)), now.AddSeconds(-1), Ct);

        var recent = await store.ReadLogAsync(now.AddSeconds(-6), now, Ct);
        Assert.Equal(["new-jti"], recent.Select(e => e.Key));

        // A first sync (from the oldest live moment) loads everything.
        var all = await store.ReadLogAsync(now - store.Coverage, now, Ct);
        Assert.Equal(51, all.Count);
        Assert.Contains(all, e => e.Key == "old-7");
    }

    [Fact]
    public async Task TheFailClosedLookupFindsEachKindWithPointReads()
    {
        var store = await NewStoreAsync();
        var now = DateTimeOffset.UtcNow;
        await store.WriteAsync(new RevocationEntry("jti-1", now.AddMinutes(15)), now, Ct);
        await store.WriteAsync(new RevocationEntry("usr:u1", now.AddMinutes(17), now), now, Ct);

        var found = await store.FindAsync(["jti-1", "sid:nobody", "usr:u1"], Ct);

        Assert.Equal(["jti-1", "usr:u1"], found.Select(e => e.Key).Order());
        Assert.Equal(now, Assert.Single(found, e => e.Key == "usr:u1").NotBefore);
    }

    [Fact]
    public async Task PruningDropsExpiredMinuteTablesWholeAndExpiredKeyedRows()
    {
        var store = await NewStoreAsync();
        var now = DateTimeOffset.UtcNow;
        var longAgo = now.AddHours(-3);
        await store.WriteAsync(new RevocationEntry("expired", longAgo.AddMinutes(15)), longAgo, Ct);
        await store.WriteAsync(new RevocationEntry("live", now.AddMinutes(15)), now, Ct);

        // One minute table dropped, one keyed row deleted.
        Assert.Equal(2, await store.PruneAsync(now, Ct));

        Assert.Equal(["live"], (await store.FindAsync(["expired", "live"], Ct)).Select(e => e.Key));
        Assert.Equal(["live"], (await store.ReadLogAsync(longAgo, now, Ct)).Select(e => e.Key));
    }

    [Fact]
    public void ABurstInOneSecondSpreadsOverSixteenPartitions()
    {
        var now = DateTimeOffset.UtcNow;
        var partitions = Enumerable.Range(0, 1000).Select(i => RevocationStore.LogPartition(Guid.NewGuid().ToString(), now)).ToHashSet();
        Assert.Equal(16, partitions.Count);
    }
}
