using Microsoft.Data.Sqlite;

namespace SatsMotion.Server.Storage;

/// <summary>The SQLite database: connection settings; its schema is brought up to date on start (<see cref="SchemaMigrations"/>).</summary>
public sealed class Database
{
    private readonly string _connectionString;

    public Database(string path)
    {
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
        using var connection = Open();
        using (var wal = connection.CreateCommand())
        {
            // WAL (a property of the file, set once) lets readers run beside the writer.
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            wal.ExecuteNonQuery();
        }

        SchemaMigrations.Apply(connection);
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
}
