using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using SatsMotion.Server.Jobs;

namespace SatsMotion.Server.Storage;

/// <summary>Jobs in SQLite and their uploaded images on disk. The unique token id makes redemption idempotent.</summary>
public sealed class JobStore(Database database, DataDirectory data, TimeProvider time)
{
    private const string Columns = "id, token_id, payment_hash, request_hash, model, duration, prompt, price_sats, status, progress, attempts, error, video_name, width, height, created_at, updated_at, completed_at, expired_at, remote_id, error_code";

    public string ImagePath(string jobId) => Path.Combine(data.Uploads, jobId + ".img");

    public string VideoPath(Job job) => Path.Combine(data.Videos, job.VideoName + ".mp4");

    public string PosterPath(Job job) => Path.Combine(data.Videos, job.VideoName + ".jpg");

    /// <summary>
    /// Creates the token's job with its image, or returns the job the token already has. The image is on disk
    /// before the row exists, so a job never lacks its input; a losing concurrent insert removes its own image.
    /// </summary>
    public async Task<(Job Job, bool Created)> CreateOnceAsync(NewJob request, ReadOnlyMemory<byte> image, CancellationToken cancellationToken)
    {
        var existing = await FindByTokenAsync(request.TokenId, cancellationToken);
        if (existing is not null)
        {
            return (existing, false);
        }

        var id = NewId();
        var imagePath = ImagePath(id);
        await using (var file = new FileStream(imagePath, FileMode.CreateNew, FileAccess.Write))
        {
            await file.WriteAsync(image, cancellationToken);
            file.Flush(flushToDisk: true);
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = database.Open();
        await using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO jobs (id, token_id, payment_hash, request_hash, model, duration, prompt, price_sats, status, video_name, created_at, updated_at)
            VALUES ($id, $token, $hash, $request, $model, $duration, $prompt, $price, 'QUEUED', $video, $now, $now)
            ON CONFLICT(token_id) DO NOTHING
            """;
        insert.Parameters.AddWithValue("$id", id);
        insert.Parameters.AddWithValue("$token", request.TokenId);
        insert.Parameters.AddWithValue("$hash", request.PaymentHash);
        insert.Parameters.AddWithValue("$request", request.RequestHash);
        insert.Parameters.AddWithValue("$model", request.Model);
        insert.Parameters.AddWithValue("$duration", request.DurationSeconds);
        insert.Parameters.AddWithValue("$prompt", request.Prompt);
        insert.Parameters.AddWithValue("$price", request.PriceSats);
        insert.Parameters.AddWithValue("$video", NewId());
        insert.Parameters.AddWithValue("$now", now);
        var inserted = await insert.ExecuteNonQueryAsync(cancellationToken) == 1;
        if (!inserted)
        {
            File.Delete(imagePath);
        }

        var job = await FindByTokenAsync(request.TokenId, cancellationToken) ?? throw new InvalidOperationException("job vanished after insert");
        return (job, inserted);
    }

    public Task<Job?> FindAsync(string id, CancellationToken cancellationToken) => QuerySingleAsync("id = $key", id, cancellationToken);

    public Task<Job?> FindByTokenAsync(string tokenId, CancellationToken cancellationToken) => QuerySingleAsync("token_id = $key", tokenId, cancellationToken);

    public async Task<IReadOnlyList<Job>> ListUnfinishedAsync(CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM jobs WHERE status IN ('QUEUED', 'PROCESSING') ORDER BY created_at";
        return await ReadAllAsync(command, cancellationToken);
    }

    /// <summary>Claims a queued job for a run; returns the run's attempt number, or null when it is not queued.</summary>
    public async Task<int?> StartAttemptAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = Update(connection, "UPDATE jobs SET status = 'PROCESSING', attempts = attempts + 1, progress = 0, updated_at = $now WHERE id = $id AND status = 'QUEUED' RETURNING attempts", id);
        var result = await command.ExecuteScalarAsync(cancellationToken);
        return result is null ? null : Convert.ToInt32(result, System.Globalization.CultureInfo.InvariantCulture);
    }

    public Task UpdateProgressAsync(string id, double progress, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE jobs SET progress = $progress, updated_at = $now WHERE id = $id AND status = 'PROCESSING'", id, cancellationToken, ("$progress", progress));

    public Task CompleteAsync(string id, int width, int height, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE jobs SET status = 'COMPLETED', progress = 1, error = NULL, error_code = NULL, remote_id = NULL, width = $w, height = $h, completed_at = $now, updated_at = $now WHERE id = $id",
            id, cancellationToken, ("$w", width), ("$h", height));

    /// <summary>Records a failed run: back to the queue for another attempt, or FAILED for good (with its reason code).</summary>
    public Task RecordFailureAsync(string id, string errorCode, string error, bool retry, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE jobs SET status = $status, error_code = $code, error = $error, updated_at = $now WHERE id = $id", id, cancellationToken,
            ("$status", retry ? "QUEUED" : "FAILED"), ("$code", errorCode), ("$error", error));

    /// <summary>Stores the provider's job id of a remote run (null clears it), before the run waits on it.</summary>
    public Task SetRemoteJobIdAsync(string id, string? remoteJobId, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE jobs SET remote_id = $remote, updated_at = $now WHERE id = $id", id, cancellationToken, ("$remote", (object?)remoteJobId ?? DBNull.Value));

    /// <summary>Puts an interrupted run (the server stopped mid-job) back in the queue, keeping its attempt count.</summary>
    public Task RequeueInterruptedAsync(string id, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE jobs SET status = 'QUEUED', progress = 0, updated_at = $now WHERE id = $id AND status = 'PROCESSING'", id, cancellationToken);

    /// <summary>A paid caller retries a FAILED job: it is queued again with fresh attempts. False when it was not FAILED.</summary>
    public async Task<bool> RetryFailedAsync(string id, CancellationToken cancellationToken) =>
        await ExecuteAsync("UPDATE jobs SET status = 'QUEUED', attempts = 0, progress = 0, error = NULL, error_code = NULL, updated_at = $now WHERE id = $id AND status = 'FAILED'", id, cancellationToken) == 1;

    /// <summary>Marks finished videos older than the cutoff as expired and returns them, so their files can go.</summary>
    public async Task<IReadOnlyList<Job>> ExpireVideosAsync(DateTimeOffset completedBefore, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = $"UPDATE jobs SET expired_at = $now, updated_at = $now WHERE status = 'COMPLETED' AND expired_at IS NULL AND completed_at < $cutoff RETURNING {Columns}";
        command.Parameters.AddWithValue("$now", time.GetUtcNow().ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$cutoff", completedBefore.ToUnixTimeMilliseconds());
        return await ReadAllAsync(command, cancellationToken);
    }

    /// <summary>Runs an update of one job; $id and $now are bound here, the rest from <paramref name="parameters"/>.</summary>
    private async Task<int> ExecuteAsync(string sql, string id, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var connection = database.Open();
        await using var command = Update(connection, sql, id, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private SqliteCommand Update(SqliteConnection connection, string sql, string id, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$now", time.GetUtcNow().ToUnixTimeMilliseconds());
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }

    private async Task<Job?> QuerySingleAsync(string where, string key, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM jobs WHERE {where}";
        command.Parameters.AddWithValue("$key", key);
        return (await ReadAllAsync(command, cancellationToken)).SingleOrDefault();
    }

    private static async Task<List<Job>> ReadAllAsync(SqliteCommand command, CancellationToken cancellationToken)
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
                reader.IsDBNull(19) ? null : reader.GetString(19), reader.IsDBNull(20) ? null : reader.GetString(20)));
        }

        return jobs;
    }

    private static DateTimeOffset Time(long milliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);

    // 128 random bits, URL-safe: job ids and video names cannot be guessed.
    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
