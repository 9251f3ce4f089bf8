using System.Data.Common;
using System.Security.Cryptography;

namespace SatsMotion.Server.Storage;

/// <summary>Where a refund stands. Claiming is the payment in flight; the caller sees it as claimed.</summary>
public enum RefundStatus
{
    Available,
    Claiming,
    Claimed,
    Expired,

    /// <summary>The paying caller chose to retry the job instead: the refund is gone.</summary>
    Withdrawn,
}

/// <summary>How an attempt to claim a refund with an invoice ended.</summary>
public enum ClaimStart
{
    /// <summary>The refund is this claim's: pay the invoice.</summary>
    Started,

    /// <summary>Not available (claimed, expired or withdrawn, or another claim came first).</summary>
    NotAvailable,

    /// <summary>Another refund's claim holds an invoice of this payment hash: a node would not pay it twice.</summary>
    InvoiceInUse,
}

/// <summary>A refund offered for a FAILED job: exactly its price, one LNURL-withdraw secret (k1), single use.</summary>
public sealed record Refund(string JobId, string K1, long AmountMsat, RefundStatus Status, DateTimeOffset ExpiresAt, string? PaymentRequest, DateTimeOffset? ClaimedAt = null);

/// <summary>
/// Refunds in the database. Every change of state is one conditional UPDATE, so a refund is claimed at most once and a
/// claim and a retry of the same job cannot both win (the retry's side is <see cref="JobStore.RetryFailedAsync"/>).
/// A live claim (claiming or claimed) holds its invoice's payment hash under a unique index: a node answers a second
/// payment of a hash with "already paid" and its record of the first one, which would read as this claim paid.
/// </summary>
public sealed class RefundStore(Database database, TimeProvider time)
{
    private const string Columns = "job_id, k1, amount_msat, status, expires_at, payment_request, claimed_at";

    /// <summary>
    /// Offers a refund for a FAILED job: a new one, or again after a paid retry withdrew it and the job failed
    /// again. Null when the job is no longer FAILED (a retry came first; see <see cref="JobStore.RetryFailedAsync"/>).
    /// </summary>
    public async Task<Refund?> OfferAsync(string jobId, long amountMsat, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        int offered;
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            // The job's row is read under a lock (PostgreSQL; SQLite runs one writer at a time), so a retry either
            // finds this refund to withdraw or has made the job QUEUED, and then nothing is offered.
            await using var insert = connection.Sql($"""
                INSERT INTO refunds (job_id, k1, amount_msat, status, created_at, expires_at)
                SELECT id, @k1, @amount, 'Available', @now, @expires FROM jobs WHERE id = @job AND status = 'FAILED'{database.ForUpdate}
                ON CONFLICT(job_id) DO UPDATE SET k1 = excluded.k1, status = 'Available', created_at = excluded.created_at, expires_at = excluded.expires_at,
                    claimed_at = NULL, payment_request = NULL, payment_hash = NULL
                WHERE refunds.status = 'Withdrawn'
                """,
                ("@job", jobId), ("@k1", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))), ("@amount", amountMsat),
                ("@now", time.GetUtcNow().ToUnixTimeSeconds()), ("@expires", (time.GetUtcNow() + lifetime).ToUnixTimeSeconds()));
            offered = await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        // Nothing written and at most a withdrawn refund there: the job is no longer FAILED. Nothing written and a
        // live refund there: it is this failure's, offered already.
        var refund = await FindAsync("job_id", jobId, cancellationToken);
        return offered == 0 && refund is { Status: RefundStatus.Withdrawn } ? null : refund;
    }

    public Task<Refund?> FindByJobAsync(string jobId, CancellationToken cancellationToken) => FindAsync("job_id", jobId, cancellationToken);

    public Task<Refund?> FindByK1Async(string k1, CancellationToken cancellationToken) => FindAsync("k1", k1, cancellationToken);

    /// <summary>
    /// Takes an available, unexpired refund for this invoice (of <paramref name="paymentHash"/>, hex), unless another
    /// claim, a retry, or another refund's claim of the same payment hash came first.
    /// </summary>
    public async Task<ClaimStart> BeginClaimAsync(string k1, string paymentRequest, string paymentHash, CancellationToken cancellationToken)
    {
        var hash = paymentHash.ToLowerInvariant();
        try
        {
            // NOT EXISTS answers at once; the unique index decides between claims racing on two servers.
            if (await ChangeAsync("""
                UPDATE refunds SET status = 'Claiming', payment_request = @pr, payment_hash = @hash, claimed_at = @now
                WHERE k1 = @key AND status = 'Available' AND expires_at > @now AND NOT EXISTS (SELECT 1 FROM refunds AS other WHERE other.payment_hash = @hash)
                """, k1, cancellationToken, ("@pr", paymentRequest), ("@hash", hash)))
            {
                return ClaimStart.Started;
            }
        }
        catch (DbException e) when (database.IsUniqueViolation(e))
        {
            return ClaimStart.InvoiceInUse;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var holder = connection.Sql("SELECT k1 FROM refunds WHERE payment_hash = @hash", ("@hash", hash));
        return await holder.ExecuteScalarAsync(cancellationToken) is string other && other != k1 ? ClaimStart.InvoiceInUse : ClaimStart.NotAvailable;
    }

    /// <summary>The pay-out of this claim (its invoice) went through. Both changes name the invoice, so a decision about one claim never lands on a later one.</summary>
    public Task<bool> CompleteClaimAsync(string k1, string paymentRequest, CancellationToken cancellationToken) =>
        ChangeAsync("UPDATE refunds SET status = 'Claimed' WHERE k1 = @key AND status = 'Claiming' AND payment_request = @pr", k1, cancellationToken, ("@pr", paymentRequest));

    /// <summary>
    /// The payment certainly failed: the refund may be claimed again (with another invoice); <paramref name="offeredUntil"/>
    /// lengthens an offer that would end before it.
    /// </summary>
    public Task<bool> ReleaseClaimAsync(string k1, string paymentRequest, CancellationToken cancellationToken, DateTimeOffset? offeredUntil = null) =>
        ChangeAsync("""
            UPDATE refunds SET status = 'Available', payment_request = NULL, payment_hash = NULL, claimed_at = NULL,
                expires_at = CASE WHEN expires_at < @until THEN @until ELSE expires_at END
            WHERE k1 = @key AND status = 'Claiming' AND payment_request = @pr
            """, k1, cancellationToken, ("@pr", paymentRequest), ("@until", offeredUntil?.ToUnixTimeSeconds() ?? 0L));

    /// <summary>Claims whose pay-out has not been recorded as paid or failed, oldest first.</summary>
    public async Task<IReadOnlyList<Refund>> ListClaimingAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Sql($"SELECT {Columns} FROM refunds WHERE status = 'Claiming' ORDER BY claimed_at");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var claims = new List<Refund>();
        while (await reader.ReadAsync(cancellationToken))
        {
            claims.Add(Read(reader));
        }

        return claims;
    }

    /// <summary>
    /// Schema step 5 on either database: the payment hash of each live claim made before it, the first claim of a
    /// hash keeping it (a later one of the same hash is the mistake this step stops), then the unique index.
    /// </summary>
    internal static void AddPaymentHashes(DbConnection connection)
    {
        var claims = new List<(string K1, string Hash)>();
        using (var read = connection.Sql("SELECT k1, payment_request FROM refunds WHERE payment_request IS NOT NULL AND payment_hash IS NULL ORDER BY claimed_at"))
        using (var reader = read.ExecuteReader())
        {
            var seen = new HashSet<string>();
            while (reader.Read())
            {
                if (Lightning.Bolt11.Bolt11Codec.TryDecode(reader.GetString(1), out var invoice, out _) && seen.Add(invoice!.PaymentHashHex))
                {
                    claims.Add((reader.GetString(0), invoice.PaymentHashHex));
                }
            }
        }

        foreach (var (k1, hash) in claims)
        {
            using var write = connection.Sql("UPDATE refunds SET payment_hash = @hash WHERE k1 = @key", ("@hash", hash), ("@key", k1));
            write.ExecuteNonQuery();
        }

        using var index = connection.Sql("CREATE UNIQUE INDEX IF NOT EXISTS refunds_by_payment_hash ON refunds(payment_hash)");
        index.ExecuteNonQuery();
    }

    private async Task<bool> ChangeAsync(string sql, string k1, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Sql(sql, [("@key", k1), ("@now", time.GetUtcNow().ToUnixTimeSeconds()), .. parameters]);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private async Task<Refund?> FindAsync(string column, string key, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Sql($"SELECT {Columns} FROM refunds WHERE {column} = @key", ("@key", key));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    private Refund Read(DbDataReader reader)
    {
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(4));
        var status = Enum.Parse<RefundStatus>(reader.GetString(3));
        if (status == RefundStatus.Available && expiresAt <= time.GetUtcNow())
        {
            status = RefundStatus.Expired;
        }

        return new Refund(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), status, expiresAt, reader.IsDBNull(5) ? null : reader.GetString(5),
            reader.IsDBNull(6) ? null : DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(6)));
    }
}
