using Microsoft.Data.Sqlite;

namespace SatsMotion.Server.Storage.Sqlite;

/// <summary>
/// The SQLite schema as numbered steps (the same steps as <see cref="Postgres.PostgresSchema"/>), applied in order at start-up and recorded in schema_migrations. The
/// steps run inside one write transaction, so servers starting at once against one file apply each step once.
/// A database from before migrations existed (its tables but no schema_migrations) is at step 1.
/// </summary>
public static class SqliteSchema
{
    private static readonly (int Version, string Name, Action<SqliteConnection> Apply)[] Steps =
    [
        (1, "tokens, jobs, revocations and dev invoices", connection => Execute(connection, """
            CREATE TABLE IF NOT EXISTS dev_invoices (
                payment_hash TEXT PRIMARY KEY,
                payment_request TEXT NOT NULL,
                preimage TEXT NOT NULL,
                amount_msat INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                settled_at INTEGER NULL
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
                price_sats INTEGER NOT NULL,
                status TEXT NOT NULL,
                progress REAL NOT NULL DEFAULT 0,
                attempts INTEGER NOT NULL DEFAULT 0,
                error TEXT NULL,
                video_name TEXT NOT NULL,
                width INTEGER NULL,
                height INTEGER NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                completed_at INTEGER NULL,
                expired_at INTEGER NULL
            );
            CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs(status);
            CREATE TABLE IF NOT EXISTS revoked_tokens (
                token_id TEXT PRIMARY KEY,
                reason TEXT NOT NULL,
                revoked_at INTEGER NOT NULL
            );
            """)),
        (2, "remote jobs, failure reasons and refunds", connection =>
        {
            AddColumn(connection, "jobs", "remote_id", "TEXT NULL");
            AddColumn(connection, "jobs", "error_code", "TEXT NULL");
            Execute(connection, """
                CREATE TABLE IF NOT EXISTS refunds (
                    job_id TEXT PRIMARY KEY,
                    k1 TEXT NOT NULL UNIQUE,
                    amount_msat INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL,
                    claimed_at INTEGER NULL,
                    payment_request TEXT NULL
                );
                """);
        }),
        (3, "job leases and shared secrets", connection =>
        {
            AddColumn(connection, "jobs", "lease_owner", "TEXT NULL");
            AddColumn(connection, "jobs", "lease_expires_at", "INTEGER NULL");
            Execute(connection, "CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)");
        }),
        (4, "completion webhooks", connection =>
        {
            AddColumn(connection, "jobs", "callback_url", "TEXT NULL");
            AddColumn(connection, "jobs", "callback_id", "TEXT NULL");
            AddColumn(connection, "jobs", "base_url", "TEXT NULL");
            Execute(connection, Callbacks.WebhookOutbox.Schema("INTEGER"));
        }),
        (5, "one refund claim per invoice", connection =>
        {
            AddColumn(connection, "refunds", "payment_hash", "TEXT NULL");
            RefundStore.AddPaymentHashes(connection);
        }),
        (6, "the operator console's facts", connection =>
        {
            AddColumn(connection, "jobs", "claimed_by", "TEXT NULL");
            AddColumn(connection, "jobs", "claimed_at", "INTEGER NULL");
            AddColumn(connection, "jobs", "provider_job_id", "TEXT NULL");
            AddColumn(connection, "jobs", "finished_at", "INTEGER NULL");
            Execute(connection, Admin.ConsoleSchema.Tables("INTEGER"));
        }),
    ];

    public static int Latest => Steps[^1].Version;

    public static void Apply(SqliteConnection connection)
    {
        // BEGIN IMMEDIATE takes the write lock first: a second server starting now waits, then finds the work done.
        Execute(connection, "BEGIN IMMEDIATE");
        try
        {
            Execute(connection, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
            var current = Scalar(connection, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
            if (current == 0 && Scalar(connection, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'jobs'") == 1)
            {
                Record(connection, 1, Steps[0].Name);
                current = 1;
            }

            foreach (var (version, name, apply) in Steps.Where(s => s.Version > current))
            {
                apply(connection);
                Record(connection, version, name);
            }

            Execute(connection, "COMMIT");
        }
        catch
        {
            Execute(connection, "ROLLBACK");
            throw;
        }
    }

    private static void AddColumn(SqliteConnection connection, string table, string column, string definition)
    {
        if (Scalar(connection, $"SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = '{column}'") == 0)
        {
            Execute(connection, $"ALTER TABLE {table} ADD COLUMN {column} {definition}");
        }
    }

    private static void Record(SqliteConnection connection, int version, string name)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($version, $name, $now)";
        command.Parameters.AddWithValue("$version", version);
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        command.ExecuteNonQuery();
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
