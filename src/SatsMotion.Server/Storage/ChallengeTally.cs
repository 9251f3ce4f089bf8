using System.Collections.Concurrent;

namespace SatsMotion.Server.Storage;

/// <summary>
/// Challenges issued per day and model, for the operator console's funnel. A 402 writes nothing to the database, so
/// each server counts in memory and adds its counts to daily_counts in one batch now and then (and when asked, so
/// the console shows its own server's latest). A batch that fails to write is kept for the next one.
/// </summary>
public sealed class ChallengeTally(Database database, TimeProvider time)
{
    public const string Prefix = "challenges:";

    private readonly ConcurrentDictionary<(long Day, string Name), long> _pending = new();

    public static long Day(DateTimeOffset at) => at.ToUnixTimeSeconds() / 86_400;

    public void Count(string model) => _pending.AddOrUpdate((Day(time.GetUtcNow()), Prefix + model), 1, (_, count) => count + 1);

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var batch = new List<KeyValuePair<(long Day, string Name), long>>();
        foreach (var key in _pending.Keys)
        {
            if (_pending.TryRemove(key, out var count))
            {
                batch.Add(new(key, count));
            }
        }

        if (batch.Count == 0)
        {
            return;
        }

        try
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            foreach (var ((day, name), count) in batch)
            {
                await using var upsert = connection.Sql("""
                    INSERT INTO daily_counts (day, name, count) VALUES (@day, @name, @count)
                    ON CONFLICT(day, name) DO UPDATE SET count = daily_counts.count + excluded.count
                    """, ("@day", day), ("@name", name), ("@count", count));
                upsert.Transaction = transaction;
                await upsert.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }
        catch
        {
            foreach (var (key, count) in batch)
            {
                _pending.AddOrUpdate(key, count, (_, current) => current + count);
            }

            throw;
        }
    }
}

/// <summary>Writes the challenge counts every 15 seconds, and once more when the server stops.</summary>
public sealed class ChallengeTallyWriter(ChallengeTally tally, TimeProvider time, ILogger<ChallengeTallyWriter> logger)
    : PeriodicHousekeeping(TimeSpan.FromSeconds(15), time, logger)
{
    protected override string PassName => "Writing the challenge counts";

    protected override Task RunPassAsync(CancellationToken cancellationToken) => tally.FlushAsync(cancellationToken);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await tally.FlushAsync(cancellationToken);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or OperationCanceledException)
        {
            Logger.LogWarning("The last challenge counts could not be written: {Message}", e.Message);
        }
    }
}
