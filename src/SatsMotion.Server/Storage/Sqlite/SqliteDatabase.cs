using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace SatsMotion.Server.Storage.Sqlite;

/// <summary>The embedded default: one SQLite file, one server. Its schema is brought up to date when it is opened.</summary>
public sealed class SqliteDatabase : Database
{
    private readonly string _path;
    private readonly string _connectionString;

    public SqliteDatabase(string path)
    {
        _path = path;
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
        using var connection = Open();
        using (var wal = connection.CreateCommand())
        {
            // WAL (a property of the file, set once) lets readers run beside the writer.
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            wal.ExecuteNonQuery();
        }

        SqliteSchema.Apply((SqliteConnection)connection);
    }

    public override string Description => $"SQLite, {_path}";

    public override bool SharedByServers => false;

    public override DbConnection Open()
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

    // SQLITE_CONSTRAINT_UNIQUE (sqlite3.h: SQLITE_CONSTRAINT | 8 << 8).
    public override bool IsUniqueViolation(DbException exception) => exception is SqliteException { SqliteExtendedErrorCode: 2067 };

    public override ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) => ValueTask.FromResult(Open());

    // Applied in the constructor: a local file cannot be "not there yet".
    public override Task MigrateAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
