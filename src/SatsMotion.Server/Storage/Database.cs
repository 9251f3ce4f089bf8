using Microsoft.Data.Sqlite;

namespace SatsMotion.Server.Storage;

/// <summary>The SQLite database: connection settings and the schema, created on start.</summary>
public sealed class Database
{
    private readonly string _connectionString;

    public Database(string path)
    {
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
        using var connection = Open();
        using var command = connection.CreateCommand();

        // WAL (a property of the file, set once) lets readers run beside the writer.
        command.CommandText = "PRAGMA journal_mode=WAL;" + Schema;
        command.ExecuteNonQuery();
        AddMissingColumns(connection);
    }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();

        // Per connection: under WAL, NORMAL is durable across process crashes and skips an fsync per commit;
        // SQLite's own busy handler waits for the writer lock in short steps (the driver's retry sleeps far longer).
        pragma.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    // Columns added after the first release: a database made by an older build gains them on start.
    private static readonly (string Table, string Column, string Definition)[] LaterColumns =
    [
        ("jobs", "remote_id", "TEXT NULL"),
        ("jobs", "error_code", "TEXT NULL"),
    ];

    private static void AddMissingColumns(SqliteConnection connection)
    {
        foreach (var (table, column, definition) in LaterColumns)
        {
            using var probe = connection.CreateCommand();
            probe.CommandText = $"SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = '{column}'";
            if ((long)probe.ExecuteScalar()! == 0)
            {
                using var alter = connection.CreateCommand();
                alter.CommandText = $"ALTER TABLE {table} ADD COLUMN {column} {definition}";
                alter.ExecuteNonQuery();
            }
        }
    }

    private const string Schema = """
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
        CREATE TABLE IF NOT EXISTS revoked_tokens (
            token_id TEXT PRIMARY KEY,
            reason TEXT NOT NULL,
            revoked_at INTEGER NOT NULL
        );
        """;
}
