using System.Data.Common;
using System.Security.Cryptography;
using SatsMotion.Server.Callbacks;
using SatsMotion.Server.Jobs;

namespace SatsMotion.Server.Storage;

/// <summary>
/// Jobs in the database, their input images in the blob store. The unique token id makes redemption idempotent
/// across servers; a running job is held by its worker's lease, and every write of a run is conditional on it.
/// </summary>
public sealed class JobStore(Database database, IBlobStore blobs, TimeProvider time)
{
    private const string Columns = "id, token_id, payment_hash, request_hash, model, duration, prompt, price_sats, status, progress, attempts, error, video_name, width, height, created_at, updated_at, completed_at, expired_at, remote_id, error_code, callback_url, callback_id, base_url";

    /// <summary>
    /// Creates the token's job with its image, or returns the job the token already has (the caller looked for it
    /// first). The image is stored before the row exists, so a job never lacks its input; a losing concurrent
    /// insert removes its own image.
    /// </summary>
    public async Task<(Job Job, bool Created)> CreateOnceAsync(NewJob request, ReadOnlyMemory<byte> image, CancellationToken cancellationToken)
    {
        var id = NewId();
        await blobs.PutAsync(JobBlobs.Input(id), image, "application/octet-stream", cancellationToken);
        var now = Now();
        Job? created;
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            await using var insert = connection.Sql($"""
                INSERT INTO jobs (id, token_id, payment_hash, request_hash, model, duration, prompt, price_sats, status, video_name, created_at, updated_at, callback_url, callback_id, base_url)
                VALUES (@id, @token, @hash, @request, @model, @duration, @prompt, @price, 'QUEUED', @video, @now, @now, @callback, @callbackId, @base)
                ON CONFLICT(token_id) DO NOTHING
                RETURNING {Columns}
                """,
                ("@id", id), ("@token", request.TokenId), ("@hash", request.PaymentHash), ("@request", request.RequestHash), ("@model", request.Model),
                ("@duration", request.DurationSeconds), ("@prompt", request.Prompt), ("@price", request.PriceSats), ("@video", NewId()), ("@now", now),
                ("@callback", request.CallbackUrl), ("@callbackId", request.CallbackId), ("@base", request.CallbackUrl is null ? null : request.BaseUrl));
            created = (await ReadAllAsync(insert, cancellationToken)).SingleOrDefault();
        }

        if (created is not null)
        {
            return (created, true);
        }

        await blobs.DeleteAsync(JobBlobs.Input(id), CancellationToken.None);
        var existing = await FindByTokenAsync(request.TokenId, cancellationToken) ?? throw new InvalidOperationException("job vanished after a conflicting insert");
        return (existing, false);
    }

    public Task<Job?> FindAsync(string id, CancellationToken cancellationToken) => QuerySingleAsync("id = @key", id, cancellationToken);

    public Task<Job?> FindByTokenAsync(string tokenId, CancellationToken cancellationToken) => QuerySingleAsync("token_id = @key", tokenId, cancellationToken);

    /// <summary>
    /// Claims the oldest job that is queued, or running under a lease that ran out (its worker died), for one run
    /// by <paramref name="owner"/> until the lease ends. Null when there is none.
    /// </summary>
    public async Task<Job?> ClaimNextAsync(string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        var now = Now();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Sql($"""
            UPDATE jobs SET status = 'PROCESSING', attempts = attempts + 1, progress = 0, lease_owner = @owner, lease_expires_at = {database.ClockMs} + @lease, updated_at = @now,
                claimed_by = @owner, claimed_at = @now
            WHERE id = (SELECT id FROM jobs WHERE status = 'QUEUED' OR (status = 'PROCESSING' AND COALESCE(lease_expires_at, 0) < {database.ClockMs})
                        ORDER BY created_at LIMIT 1{database.SkipLocked})
            RETURNING {Columns}
            """, ("@owner", owner), ("@lease", (long)lease.TotalMilliseconds), ("@now", now));
        return (await ReadAllAsync(command, cancellationToken)).SingleOrDefault();
    }

    /// <summary>Extends the owner's lease on a running job; false when it is no longer theirs (another worker took it over).</summary>
    public async Task<bool> RenewLeaseAsync(string id, string owner, TimeSpan lease, CancellationToken cancellationToken) =>
        await ExecuteAsync($"UPDATE jobs SET lease_expires_at = {database.ClockMs} + @lease WHERE id = @id AND lease_owner = @owner AND status = 'PROCESSING'", id, owner, cancellationToken,
            ("@lease", (long)lease.TotalMilliseconds)) == 1;

    public Task UpdateProgressAsync(string id, string owner, double progress, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE jobs SET progress = @progress, updated_at = @now WHERE id = @id AND lease_owner = @owner AND status = 'PROCESSING'", id, owner, cancellationToken, ("@progress", progress));

    /// <summary>
    /// Records the finished video; false when the owner had lost the job (the result is then not theirs to record).
    /// A job with a callback gets its job.completed delivery in the same transaction: a finish is never without it.
    /// </summary>
    public Task<bool> CompleteAsync(string id, string owner, int width, int height, CancellationToken cancellationToken) =>
        FinishAsync("""
            UPDATE jobs SET status = 'COMPLETED', progress = 1, error = NULL, error_code = NULL, remote_id = NULL, lease_owner = NULL, lease_expires_at = NULL,
                width = @w, height = @h, completed_at = @now, finished_at = @now, updated_at = @now
            WHERE id = @id AND lease_owner = @owner AND status = 'PROCESSING'
            """, id, owner, WebhookEvents.Completed, cancellationToken, ("@w", width), ("@h", height));

    /// <summary>Records a failed run: back to the queue for another attempt, or FAILED for good (with its reason code, and its job.failed delivery).</summary>
    public Task<bool> RecordFailureAsync(string id, string owner, string errorCode, string error, bool retry, CancellationToken cancellationToken) =>
        FinishAsync($"""
            UPDATE jobs SET status = @status, error_code = @code, error = @error, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now{(retry ? "" : ", finished_at = @now")}
            WHERE id = @id AND lease_owner = @owner AND status = 'PROCESSING'
            """, id, owner, retry ? null : WebhookEvents.Failed, cancellationToken, ("@status", retry ? "QUEUED" : "FAILED"), ("@code", errorCode), ("@error", error));

    private async Task<bool> FinishAsync(string sql, string id, string owner, string? webhookEvent, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        var now = Now();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var update = connection.Sql(sql, [("@id", id), ("@owner", owner), ("@now", now), .. parameters]);
        update.Transaction = transaction;
        if (await update.ExecuteNonQueryAsync(cancellationToken) != 1)
        {
            return false;
        }

        if (webhookEvent is not null)
        {
            await using var enqueue = connection.Sql(WebhookOutbox.EnqueueSql(database), ("@id", id), ("@delivery", WebhookOutbox.NewDeliveryId()), ("@event", webhookEvent), ("@now", now));
            enqueue.Transaction = transaction;
            await enqueue.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Stores the provider's job id of a remote run (null clears it), before the run waits on it; the last one
    /// stays on record (provider_job_id) for the operator once the run is over.
    /// </summary>
    public Task SetRemoteJobIdAsync(string id, string owner, string? remoteJobId, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE jobs SET remote_id = @remote, provider_job_id = COALESCE(@remote, provider_job_id), updated_at = @now WHERE id = @id AND lease_owner = @owner",
            id, owner, cancellationToken, ("@remote", remoteJobId));

    /// <summary>
    /// Hands a run back to the queue (shutdown, or the blob store was away), its progress reset. A run that did
    /// not get to the model does not count as an attempt.
    /// </summary>
    public Task ReleaseAsync(string id, string owner, bool countAttempt, CancellationToken cancellationToken) =>
        ExecuteAsync($"""
            UPDATE jobs SET status = 'QUEUED', progress = 0, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now{(countAttempt ? "" : ", attempts = attempts - 1")}
            WHERE id = @id AND lease_owner = @owner AND status = 'PROCESSING'
            """, id, owner, cancellationToken);

    /// <summary>
    /// One server on its own database: every run found PROCESSING was interrupted when it last stopped, and goes
    /// back to the queue at once (keeping its attempt count) instead of waiting for its lease to run out.
    /// </summary>
    public async Task<IReadOnlyList<string>> RequeueInterruptedAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Sql("UPDATE jobs SET status = 'QUEUED', progress = 0, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now WHERE status = 'PROCESSING' RETURNING id",
            ("@now", Now()));
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    /// <summary>
    /// A paid caller retries a FAILED job: it is queued again with fresh attempts, and its unclaimed refund is
    /// withdrawn, in one transaction. The job's row is written first: its lock makes a refund being offered for
    /// this failure (<see cref="RefundStore.OfferAsync"/>) wait, then find the job no longer FAILED, or come
    /// first and be withdrawn here; a refund already claimed undoes the retry. The identical request carries the
    /// image again, and it is stored again first: a job whose input was lost (a database restored without its
    /// bucket) can still be retried.
    /// </summary>
    public async Task<RetryOutcome> RetryFailedAsync(string id, ReadOnlyMemory<byte> image, CancellationToken cancellationToken)
    {
        await blobs.PutAsync(JobBlobs.Input(id), image, "application/octet-stream", cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        async Task<object?> RunAsync(string sql)
        {
            await using var command = connection.Sql(sql, ("@id", id), ("@now", Now()));
            command.Transaction = transaction;
            return await command.ExecuteScalarAsync(cancellationToken);
        }

        if (await RunAsync("UPDATE jobs SET status = 'QUEUED', attempts = 0, progress = 0, error = NULL, error_code = NULL, finished_at = NULL, updated_at = @now WHERE id = @id AND status = 'FAILED' RETURNING id") is null)
        {
            return RetryOutcome.NotFailed;
        }

        await RunAsync("UPDATE refunds SET status = 'Withdrawn' WHERE job_id = @id AND status IN ('Available', 'Expired')");
        if (await RunAsync("SELECT status FROM refunds WHERE job_id = @id") is string status && status != nameof(RefundStatus.Withdrawn))
        {
            await transaction.RollbackAsync(CancellationToken.None);
            return RetryOutcome.RefundClaimed;
        }

        await transaction.CommitAsync(cancellationToken);
        return RetryOutcome.Retried;
    }

    public const int ExpiryBatch = 500;

    /// <summary>Finished videos older than the cutoff and not yet expired (at most <see cref="ExpiryBatch"/>), whose files are to go.</summary>
    public async Task<IReadOnlyList<Job>> ListExpiringVideosAsync(DateTimeOffset completedBefore, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Sql($"SELECT {Columns} FROM jobs WHERE status = 'COMPLETED' AND expired_at IS NULL AND completed_at < @cutoff ORDER BY completed_at LIMIT @batch",
            ("@cutoff", completedBefore.ToUnixTimeMilliseconds()), ("@batch", ExpiryBatch));
        return await ReadAllAsync(command, cancellationToken);
    }

    /// <summary>Records that a video's files are gone.</summary>
    public Task MarkVideoExpiredAsync(string id, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE jobs SET expired_at = @now, updated_at = @now WHERE id = @id AND expired_at IS NULL", id, null, cancellationToken);

    /// <summary>How many jobs wait for a worker.</summary>
    public async Task<long> CountQueuedAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Sql("SELECT COUNT(*) FROM jobs WHERE status = 'QUEUED'");
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Runs an update of one job; @id, @owner and @now are bound here, the rest from <paramref name="parameters"/>.</summary>
    private async Task<int> ExecuteAsync(string sql, string id, string? owner, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Sql(sql, [("@id", id), ("@owner", owner), ("@now", Now()), .. parameters]);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<Job?> QuerySingleAsync(string where, string key, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Sql($"SELECT {Columns} FROM jobs WHERE {where}", ("@key", key));
        return (await ReadAllAsync(command, cancellationToken)).SingleOrDefault();
    }

    private static async Task<List<Job>> ReadAllAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var jobs = new List<Job>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            jobs.Add(new Job(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetInt32(5), reader.GetString(6), reader.GetInt64(7), Enum.Parse<JobStatus>(reader.GetString(8)),
                reader.GetDouble(9), reader.GetInt32(10), reader.IsDBNull(11) ? null : reader.GetString(11), reader.GetString(12),
                reader.IsDBNull(13) ? null : reader.GetInt32(13), reader.IsDBNull(14) ? null : reader.GetInt32(14),
                Time(reader.GetInt64(15)), Time(reader.GetInt64(16)),
                reader.IsDBNull(17) ? null : Time(reader.GetInt64(17)), reader.IsDBNull(18) ? null : Time(reader.GetInt64(18)),
                reader.IsDBNull(19) ? null : reader.GetString(19), reader.IsDBNull(20) ? null : reader.GetString(20),
                reader.IsDBNull(21) ? null : reader.GetString(21), reader.IsDBNull(22) ? null : reader.GetString(22), reader.IsDBNull(23) ? null : reader.GetString(23)));
        }

        return jobs;
    }

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();

    private static DateTimeOffset Time(long milliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);

    // 128 random bits, URL-safe: job ids and video names cannot be guessed.
    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}

/// <summary>What a paid retry of a FAILED job came to.</summary>
public enum RetryOutcome
{
    Retried,

    /// <summary>The job is not FAILED (any more): another retry came first, or it never failed.</summary>
    NotFailed,

    /// <summary>Its refund was claimed: the token ends with the refund, and the job stays FAILED.</summary>
    RefundClaimed,
}
