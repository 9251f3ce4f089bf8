using System.Data.Common;
using Npgsql;

namespace SatsMotion.Server.Storage.Postgres;

/// <summary>
/// PostgreSQL, for several API servers and workers on one database (SatsMotion:Database holds an Npgsql
/// connection string). Workers pick jobs with FOR UPDATE SKIP LOCKED; the schema is migrated at start-up.
/// </summary>
public sealed class PostgresDatabase : Database, IAsyncDisposable
{
    private readonly NpgsqlDataSource _source;

    public PostgresDatabase(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        Description = $"PostgreSQL, {builder.Host}:{builder.Port}/{builder.Database}";
        _source = NpgsqlDataSource.Create(builder);
    }

    public override string Description { get; }

    public override bool SharedByServers => true;

    public override string SkipLocked => " FOR UPDATE SKIP LOCKED";

    // clock_timestamp(), not now(): the time of the statement, not of its transaction's start.
    public override string ClockMs => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)";

    public override string ForUpdate => " FOR UPDATE";

    /// <summary>The data source, for the connection that listens for job notifications.</summary>
    public NpgsqlDataSource Source => _source;

    public override DbConnection Open() => _source.OpenConnection();

    public override bool IsUniqueViolation(DbException exception) => exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) => await _source.OpenConnectionAsync(cancellationToken);

    public override async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _source.OpenConnectionAsync(cancellationToken);
        await PostgresSchema.ApplyAsync(connection, cancellationToken);
    }

    public ValueTask DisposeAsync() => _source.DisposeAsync();
}
