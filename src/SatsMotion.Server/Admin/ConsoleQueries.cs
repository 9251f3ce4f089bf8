using System.Data.Common;
using System.Globalization;
using SatsMotion.Lightning.Bolt11;
using SatsMotion.Server.Jobs;
using SatsMotion.Server.Storage;

namespace SatsMotion.Server.Admin;

public sealed record DayEarnings(DateOnly Day, long Sats, long Jobs);

public sealed record ModelEarnings(string Model, long Sats, long Jobs);

/// <summary>From challenge to refund over the window: each step counted once (a job by its state now).</summary>
public sealed record Funnel(long Challenges, long Paid, long Queued, long Processing, long Completed, long Failed,
    long RefundsAvailable, long RefundsClaiming, long RefundsClaimed, long RefundsExpired, long RefundsWithdrawn);

/// <summary>Sats received (the prices of paid jobs) per UTC day, oldest first, and per model; refunds paid out; the funnel.</summary>
public sealed record Earnings(int WindowDays, IReadOnlyList<DayEarnings> Days, IReadOnlyList<ModelEarnings> Models, long ReceivedSats, long RefundedSats, Funnel Funnel)
{
    public long NetSats => ReceivedSats - RefundedSats;
}

public sealed record JobRow(string Id, JobStatus Status, string Model, int DurationSeconds, long PriceSats, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, string? ReasonCode)
{
    public TimeSpan? TimeToFinish => FinishedAt - CreatedAt;
}

/// <summary>A job with what its row keeps of its runs: the last worker to claim it and when, the provider's last job id, when it ended.</summary>
public sealed record JobTimeline(Job Job, string? ClaimedBy, DateTimeOffset? ClaimedAt, string? ProviderJobId, DateTimeOffset? FinishedAt);

/// <summary>
/// A refund as the money page lists it; a claim carries its invoice's payment hash (to find the payment in the
/// wallet) and, while its outcome is unknown, when that invoice expires (the claim may be released after).
/// </summary>
public sealed record RefundRow(string JobId, string Model, long AmountSats, RefundStatus Status, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? ClaimedAt, string TokenId,
    string? PaymentHash, DateTimeOffset? InvoiceExpiresAt);

public sealed record LeaseHolder(string Worker, long Jobs, DateTimeOffset LeaseUntil);

/// <summary>The operator console's reads: aggregates over the jobs, refunds and counts every API server shares. Nothing here writes.</summary>
public sealed class ConsoleQueries(Database database, ChallengeTally tally, TimeProvider time)
{
    private const long DayMs = 86_400_000;

    public async Task<Earnings> EarningsAsync(int days, CancellationToken cancellationToken)
    {
        // This server's latest challenges first, so its own console is current; other servers' come within 15 s.
        await tally.FlushAsync(cancellationToken);
        var today = ChallengeTally.Day(time.GetUtcNow());
        var firstDay = today - days + 1;
        var since = firstDay * DayMs;
        var nowSeconds = time.GetUtcNow().ToUnixTimeSeconds();
        await using var connection = await database.OpenAsync(cancellationToken);

        var byDay = new Dictionary<long, (long Sats, long Jobs)>();
        var byModel = new Dictionary<string, (long Sats, long Jobs)>();
        await foreach (var row in RowsAsync(connection, "SELECT created_at / 86400000, model, COUNT(*), SUM(price_sats) FROM jobs WHERE created_at >= @since GROUP BY 1, 2",
            cancellationToken, ("@since", since)))
        {
            var (day, model, jobs, sats) = (Long(row[0]), (string)row[1], Long(row[2]), Long(row[3]));
            byDay[day] = byDay.TryGetValue(day, out var d) ? (d.Sats + sats, d.Jobs + jobs) : (sats, jobs);
            byModel[model] = byModel.TryGetValue(model, out var m) ? (m.Sats + sats, m.Jobs + jobs) : (sats, jobs);
        }

        var statuses = new Dictionary<string, long>();
        await foreach (var row in RowsAsync(connection, "SELECT status, COUNT(*) FROM jobs WHERE created_at >= @since GROUP BY 1", cancellationToken, ("@since", since)))
        {
            statuses[(string)row[0]] = Long(row[1]);
        }

        var refunds = new Dictionary<string, (long Count, long Msat)>();
        await foreach (var row in RowsAsync(connection, """
            SELECT CASE WHEN r.status = 'Available' AND r.expires_at <= @now THEN 'Expired' ELSE r.status END, COUNT(*), SUM(r.amount_msat)
            FROM refunds r JOIN jobs j ON j.id = r.job_id WHERE j.created_at >= @since GROUP BY 1
            """, cancellationToken, ("@since", since), ("@now", nowSeconds)))
        {
            refunds[(string)row[0]] = (Long(row[1]), Long(row[2]));
        }

        long challenges = 0;
        await foreach (var row in RowsAsync(connection, "SELECT COALESCE(SUM(count), 0) FROM daily_counts WHERE day >= @day AND name LIKE 'challenges:%'", cancellationToken,
            ("@day", firstDay)))
        {
            challenges = Long(row[0]);
        }

        long Status(JobStatus status) => statuses.GetValueOrDefault(status.ToString());
        long Refunds(RefundStatus status) => refunds.GetValueOrDefault(status.ToString()).Count;
        var funnel = new Funnel(challenges, statuses.Values.Sum(), Status(JobStatus.QUEUED), Status(JobStatus.PROCESSING), Status(JobStatus.COMPLETED), Status(JobStatus.FAILED),
            Refunds(RefundStatus.Available), Refunds(RefundStatus.Claiming), Refunds(RefundStatus.Claimed), Refunds(RefundStatus.Expired), Refunds(RefundStatus.Withdrawn));
        var dayRows = Enumerable.Range(0, days).Select(i => firstDay + i)
            .Select(day => new DayEarnings(DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(day * DayMs).UtcDateTime), byDay.GetValueOrDefault(day).Sats,
                byDay.GetValueOrDefault(day).Jobs))
            .ToList();
        var modelRows = byModel.Select(m => new ModelEarnings(m.Key, m.Value.Sats, m.Value.Jobs)).OrderByDescending(m => m.Sats).ThenBy(m => m.Model, StringComparer.Ordinal).ToList();
        return new Earnings(days, dayRows, modelRows, modelRows.Sum(m => m.Sats), refunds.GetValueOrDefault(nameof(RefundStatus.Claimed)).Msat / 1000, funnel);
    }

    public async Task<IReadOnlyList<JobRow>> LatestJobsAsync(JobStatus? status, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var jobs = new List<JobRow>();
        await foreach (var row in RowsAsync(connection, $"""
            SELECT id, status, model, duration, price_sats, created_at, finished_at, error_code FROM jobs
            {(status is null ? "" : "WHERE status = @status")} ORDER BY created_at DESC LIMIT @limit
            """, cancellationToken, status is null ? [("@limit", limit)] : [("@limit", limit), ("@status", status.ToString())]))
        {
            jobs.Add(new JobRow((string)row[0], Enum.Parse<JobStatus>((string)row[1]), (string)row[2], (int)Long(row[3]), Long(row[4]), Ms(row[5])!.Value, Ms(row[6]),
                row[7] as string));
        }

        return jobs;
    }

    public async Task<JobTimeline?> TimelineAsync(Job job, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await foreach (var row in RowsAsync(connection, "SELECT claimed_by, claimed_at, provider_job_id, finished_at FROM jobs WHERE id = @id", cancellationToken, ("@id", job.Id)))
        {
            return new JobTimeline(job, row[0] as string, Ms(row[1]), row[2] as string, Ms(row[3]));
        }

        return null;
    }

    /// <summary>Refunds, those whose pay-out outcome is not known yet (Claiming) first, then those still to be claimed, then the newest.</summary>
    public async Task<IReadOnlyList<RefundRow>> RefundsAsync(int limit, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        var refunds = new List<RefundRow>();
        await foreach (var row in RowsAsync(connection, """
            SELECT r.job_id, j.model, r.amount_msat, r.status, r.created_at, r.expires_at, r.claimed_at, j.token_id, r.payment_hash, r.payment_request FROM refunds r JOIN jobs j ON j.id = r.job_id
            ORDER BY CASE r.status WHEN 'Claiming' THEN 0 WHEN 'Available' THEN 1 ELSE 2 END, r.created_at DESC LIMIT @limit
            """, cancellationToken, ("@limit", limit)))
        {
            var expires = DateTimeOffset.FromUnixTimeSeconds(Long(row[5]));
            var status = Enum.Parse<RefundStatus>((string)row[3]);
            var invoiceExpiresAt = status == RefundStatus.Claiming && row[9] is string invoice && Bolt11Codec.TryDecode(invoice, out var decoded, out _) ? decoded!.ExpiresAt : (DateTimeOffset?)null;
            refunds.Add(new RefundRow((string)row[0], (string)row[1], Long(row[2]) / 1000, status == RefundStatus.Available && expires <= now ? RefundStatus.Expired : status,
                DateTimeOffset.FromUnixTimeSeconds(Long(row[4])), expires, row[6] is DBNull ? null : DateTimeOffset.FromUnixTimeSeconds(Long(row[6])), (string)row[7], row[8] as string,
                invoiceExpiresAt));
        }

        return refunds;
    }

    /// <summary>The workers holding leases on running jobs now (on the database's clock where servers share it).</summary>
    public async Task<IReadOnlyList<LeaseHolder>> LeaseHoldersAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var holders = new List<LeaseHolder>();
        await foreach (var row in RowsAsync(connection, $"""
            SELECT lease_owner, COUNT(*), MAX(lease_expires_at) FROM jobs WHERE status = 'PROCESSING' AND lease_owner IS NOT NULL AND lease_expires_at > {database.ClockMs}
            GROUP BY 1 ORDER BY 1
            """, cancellationToken, ("@now", time.GetUtcNow().ToUnixTimeMilliseconds())))
        {
            holders.Add(new LeaseHolder((string)row[0], Long(row[1]), Ms(row[2])!.Value));
        }

        return holders;
    }

    private static async IAsyncEnumerable<object[]> RowsAsync(DbConnection connection, string sql, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters)
    {
        await using var command = connection.Sql(sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var values = new object[reader.FieldCount];
            reader.GetValues(values);
            yield return values;
        }
    }

    // SQLite answers 64-bit integers, PostgreSQL's SUM a numeric: both read as long.
    private static long Long(object value) => value is DBNull ? 0 : Convert.ToInt64(value, CultureInfo.InvariantCulture);

    private static DateTimeOffset? Ms(object value) => value is DBNull ? null : DateTimeOffset.FromUnixTimeMilliseconds(Long(value));
}
