using System.Data.Common;
using System.Security.Cryptography;
using SatsMotion.Server.Storage;

namespace SatsMotion.Server.Callbacks;

public static class WebhookEvents
{
    public const string Completed = "job.completed";
    public const string Failed = "job.failed";
}

/// <summary>One event for one callback: its id is the webhook-id of every attempt; its body is fixed at the first.</summary>
public sealed record WebhookDelivery(string Id, string JobId, string Event, string Url, string? Body, DateTimeOffset CreatedAt, int Attempts,
    DateTimeOffset? DeliveredAt = null, DateTimeOffset? GaveUpAt = null, int? LastStatus = null, string? LastError = null);

/// <summary>
/// The durable outbox of webhook deliveries, in the jobs' database. A delivery is queued in the transaction that
/// finishes its job; a server sends it under a lease (one attempt at a time across all servers, on the database's
/// clock), and records the outcome: delivered, another attempt at a later time, or given up.
/// </summary>
public sealed class WebhookOutbox(Database database, TimeProvider time)
{
    private const string Columns = "id, job_id, event, url, body, created_at, attempts, delivered_at, gave_up_at, last_status, last_error";

    /// <summary>The table, for both databases' migrations (<paramref name="bigint"/>: their 64-bit integer type).</summary>
    public static string Schema(string bigint) => $"""
        CREATE TABLE IF NOT EXISTS webhook_deliveries (
            id TEXT PRIMARY KEY,
            job_id TEXT NOT NULL,
            event TEXT NOT NULL,
            url TEXT NOT NULL,
            body TEXT NULL,
            created_at {bigint} NOT NULL,
            next_attempt_at {bigint} NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            lease_owner TEXT NULL,
            lease_expires_at {bigint} NULL,
            delivered_at {bigint} NULL,
            gave_up_at {bigint} NULL,
            last_status INTEGER NULL,
            last_error TEXT NULL
        );
        CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE delivered_at IS NULL AND gave_up_at IS NULL;
        CREATE INDEX IF NOT EXISTS webhook_deliveries_by_job ON webhook_deliveries(job_id);
        """;

    /// <summary>
    /// Queues the event of job @id if it has a callback (run in the transaction that finishes the job). Its creation
    /// and first due time are on the database's clock, as the claims that compare with them: a server whose clock
    /// runs ahead would otherwise hold a first delivery back by its skew.
    /// </summary>
    public static string EnqueueSql(Database database) => $"""
        INSERT INTO webhook_deliveries (id, job_id, event, url, created_at, next_attempt_at)
        SELECT @delivery, id, @event, callback_url, {database.ClockMs}, {database.ClockMs} FROM jobs WHERE id = @id AND callback_url IS NOT NULL
        """;

    /// <summary>A Standard Webhooks message id: "msg_" and 128 random bits.</summary>
    public static string NewDeliveryId() => "msg_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>Takes the longest-waiting due delivery for one attempt by <paramref name="owner"/>, or null.</summary>
    public async Task<WebhookDelivery?> ClaimDueAsync(string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Sql($"""
            UPDATE webhook_deliveries SET lease_owner = @owner, lease_expires_at = {database.ClockMs} + @lease, attempts = attempts + 1
            WHERE id = (SELECT id FROM webhook_deliveries
                        WHERE delivered_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= {database.ClockMs} AND COALESCE(lease_expires_at, 0) < {database.ClockMs}
                        ORDER BY next_attempt_at LIMIT 1{database.SkipLocked})
            RETURNING {Columns}
            """, ("@owner", owner), ("@lease", (long)lease.TotalMilliseconds), ("@now", Now()));
        return (await ReadAllAsync(command, cancellationToken)).SingleOrDefault();
    }

    /// <summary>Fixes the body the first attempt sends, so every retry sends the same bytes; returns the body kept.</summary>
    public async Task<string> FixBodyAsync(string id, string body, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using (var update = connection.Sql("UPDATE webhook_deliveries SET body = @body WHERE id = @id AND body IS NULL", ("@id", id), ("@body", body)))
        {
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var read = connection.Sql("SELECT body FROM webhook_deliveries WHERE id = @id", ("@id", id));
        return (string)(await read.ExecuteScalarAsync(cancellationToken))!;
    }

    public Task RecordDeliveredAsync(string id, string owner, int status, CancellationToken cancellationToken) =>
        UpdateAsync($"UPDATE webhook_deliveries SET delivered_at = {database.ClockMs}, last_status = @status, last_error = NULL, lease_owner = NULL, lease_expires_at = NULL WHERE id = @id AND lease_owner = @owner",
            id, owner, cancellationToken, ("@status", status));

    /// <summary>
    /// A failed attempt: tried again after <paramref name="retryIn"/>, or given up when that is null or when the
    /// delivery is <paramref name="retryFor"/> old, its age read on the database's clock like its creation. True when
    /// it was given up.
    /// </summary>
    public async Task<bool> RecordFailedAsync(string id, string owner, int? status, string error, TimeSpan? retryIn, TimeSpan retryFor, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Sql($"""
            UPDATE webhook_deliveries SET last_status = @status, last_error = @error, lease_owner = NULL, lease_expires_at = NULL,
                next_attempt_at = {database.ClockMs} + @delay,
                gave_up_at = CASE WHEN @give_up = 1 OR {database.ClockMs} - created_at >= @retry_for THEN {database.ClockMs} ELSE NULL END
            WHERE id = @id AND lease_owner = @owner
            RETURNING gave_up_at
            """, ("@id", id), ("@owner", owner), ("@now", Now()), ("@status", status), ("@error", error.Length > 500 ? error[..500] : error),
            ("@delay", (long)(retryIn ?? TimeSpan.Zero).TotalMilliseconds), ("@give_up", retryIn is null ? 1 : 0), ("@retry_for", (long)retryFor.TotalMilliseconds));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) && !reader.IsDBNull(0);
    }

    public async Task<IReadOnlyList<WebhookDelivery>> ListForJobAsync(string jobId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Sql($"SELECT {Columns} FROM webhook_deliveries WHERE job_id = @job ORDER BY created_at", ("@job", jobId));
        return await ReadAllAsync(command, cancellationToken);
    }

    /// <summary>Deliveries not yet delivered nor given up.</summary>
    public async Task<long> CountPendingAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Sql("SELECT COUNT(*) FROM webhook_deliveries WHERE delivered_at IS NULL AND gave_up_at IS NULL");
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task UpdateAsync(string sql, string id, string owner, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Sql(sql, [("@id", id), ("@owner", owner), ("@now", Now()), .. parameters]);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<List<WebhookDelivery>> ReadAllAsync(DbCommand command, CancellationToken cancellationToken)
    {
        static DateTimeOffset? Time(DbDataReader reader, int column) => reader.IsDBNull(column) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(column));
        var deliveries = new List<WebhookDelivery>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            deliveries.Add(new WebhookDelivery(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                Time(reader, 5)!.Value, reader.GetInt32(6), Time(reader, 7), Time(reader, 8), reader.IsDBNull(9) ? null : reader.GetInt32(9), reader.IsDBNull(10) ? null : reader.GetString(10)));
        }

        return deliveries;
    }

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();
}
