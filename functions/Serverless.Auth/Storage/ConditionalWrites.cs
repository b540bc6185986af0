using Azure;
using Azure.Data.Tables;

namespace Serverless.Auth.Storage;

/// <summary>The repositories' conditional writes and point reads: a lost condition is an answer (false, null), not an error.</summary>
internal static class ConditionalWrites
{
    /// <summary>True when the write landed; false on a conflict (409), a changed row (412) or a row gone (404).</summary>
    public static async Task<bool> TryAsync(Func<Task> write)
    {
        try
        {
            await write();
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412 or 404)
        {
            return false;
        }
    }

    /// <summary>One transaction in one partition: true when it landed, false when any of its conditions failed.</summary>
    public static async Task<bool> TrySubmitAsync(this TableClient table, IReadOnlyList<TableTransactionAction> actions, CancellationToken cancellationToken)
    {
        try
        {
            await table.SubmitTransactionAsync(actions, cancellationToken);
            return true;
        }
        catch (TableTransactionFailedException e) when (e.Status is 409 or 412 or 404)
        {
            return false;
        }
    }

    /// <summary>The row, or null.</summary>
    public static async Task<TableEntity?> FindAsync(this TableClient table, string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        var row = await table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, cancellationToken: cancellationToken);
        return row.HasValue ? row.Value : null;
    }
}
