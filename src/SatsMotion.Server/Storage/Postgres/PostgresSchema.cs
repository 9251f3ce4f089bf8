using Npgsql;

namespace SatsMotion.Server.Storage.Postgres;

/// <summary>
/// The PostgreSQL schema as the same numbered steps as <see cref="Sqlite.SqliteSchema"/>, recorded in
/// schema_migrations. One transaction holds an advisory lock while it applies them, so servers starting at once
/// against one database apply each step once (PostgreSQL's DDL is transactional: a failed step leaves nothing).
/// </summary>
public static class PostgresSchema
{
    // Any fixed number, the same in every server: "SATSMIGR" in ASCII.
    private const long MigrationLock = 0x534154534D494752;

    // Each step is SQL, then, for a step that needs more than SQL, C# on the same connection and transaction.
    private static readonly (int Version, string Name, string Sql, Action<NpgsqlConnection>? Then)[] Steps =
    [
        (1, "tokens, jobs, revocations and dev invoices", """
            CREATE TABLE IF NOT EXISTS dev_invoices (
                payment_hash TEXT PRIMARY KEY,
                payment_request TEXT NOT NULL,
                preimage TEXT NOT NULL,
                amount_msat BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                settled_at BIGINT NULL
            );
            CREATE INDEX IF NOT EXISTS dev_invoices_unpaid_by_expiry ON dev_invoices(expires_at) WHERE settled_at IS NULL;
            CREATE TABLE IF NOT EXISTS jobs (
                id TEXT PRIMARY KEY,
                token_id TEXT NOT NULL UNIQUE,
                payment_hash TEXT NOT NULL,
                request_hash TEXT NOT NULL,
                model TEXT NOT NULL,
                duration INTEGER NOT NULL,
                prompt TEXT NOT NULL,
                price_sats BIGINT NOT NULL,
                status TEXT NOT NULL,
                progress DOUBLE PRECISION NOT NULL DEFAULT 0,
                attempts INTEGER NOT NULL DEFAULT 0,
                error TEXT NULL,
                video_name TEXT NOT NULL,
                width INTEGER NULL,
                height INTEGER NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                completed_at BIGINT NULL,
                expired_at BIGINT NULL
            );
            CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs(status);
            CREATE TABLE IF NOT EXISTS revoked_tokens (
                token_id TEXT PRIMARY KEY,
                reason TEXT NOT NULL,
                revoked_at BIGINT NOT NULL
            );
            """, null),
        (2, "remote jobs, failure reasons and refunds", """
            ALTER TABLE jobs ADD COLUMN IF NOT EXISTS remote_id TEXT NULL;
            ALTER TABLE jobs ADD COLUMN IF NOT EXISTS error_code TEXT NULL;
            CREATE TABLE IF NOT EXISTS refunds (
                job_id TEXT PRIMARY KEY,
                k1 TEXT NOT NULL UNIQUE,
                amount_msat BIGINT NOT NULL,
                status TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                claimed_at BIGINT NULL,
                payment_request TEXT NULL
            );
            """, null),
        (3, "job leases and shared secrets", """
            ALTER TABLE jobs ADD COLUMN IF NOT EXISTS lease_owner TEXT NULL;
            ALTER TABLE jobs ADD COLUMN IF NOT EXISTS lease_expires_at BIGINT NULL;
            CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);
            """, null),
        (4, "completion webhooks", """
            ALTER TABLE jobs ADD COLUMN IF NOT EXISTS callback_url TEXT NULL;
            ALTER TABLE jobs ADD COLUMN IF NOT EXISTS callback_id TEXT NULL;
            ALTER TABLE jobs ADD COLUMN IF NOT EXISTS base_url TEXT NULL;
            """ + Callbacks.WebhookOutbox.Schema("BIGINT"), null),
        (5, "one refund claim per invoice", "ALTER TABLE refunds ADD COLUMN IF NOT EXISTS payment_hash TEXT NULL;", RefundStore.AddPaymentHashes),
        (6, "the operator console's facts", """
            ALTER TABLE jobs ADD COLUMN IF NOT EXISTS claimed_by TEXT NULL;
            ALTER TABLE jobs ADD COLUMN IF NOT EXISTS claimed_at BIGINT NULL;
            ALTER TABLE jobs ADD COLUMN IF NOT EXISTS provider_job_id TEXT NULL;
            ALTER TABLE jobs ADD COLUMN IF NOT EXISTS finished_at BIGINT NULL;
            """ + Admin.ConsoleSchema.Tables("BIGINT"), null),
    ];

    public static int Latest => Steps[^1].Version;

    public static async Task ApplyAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.Sql("SELECT pg_advisory_xact_lock(@key)", ("@key", MigrationLock)).ExecuteNonQueryAsync(cancellationToken);
        await connection.Sql("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)").ExecuteNonQueryAsync(cancellationToken);
        var current = Convert.ToInt32(await connection.Sql("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (version, name, sql, then) in Steps.Where(s => s.Version > current))
        {
            await connection.Sql(sql).ExecuteNonQueryAsync(cancellationToken);
            then?.Invoke(connection);
            await connection.Sql("INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @now)",
                ("@version", version), ("@name", name), ("@now", DateTimeOffset.UtcNow.ToUnixTimeSeconds())).ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }
}
