using System.Data.Common;

namespace SatsMotion.Server.Storage;

/// <summary>
/// The database the stores share: SQLite in the data directory (one server) or PostgreSQL (several). The stores
/// write their SQL once, in what both accept (@parameters, ON CONFLICT, RETURNING); connections, migrations and
/// how workers pick jobs differ here.
/// </summary>
public abstract class Database
{
    /// <summary>What the banner shows: the kind and where, never a password.</summary>
    public abstract string Description { get; }

    /// <summary>True when other servers may use the same database: running jobs are then held by leases.</summary>
    public abstract bool SharedByServers { get; }

    /// <summary>Ends the subquery that picks the next job, so that concurrent workers skip a row another is taking.</summary>
    public virtual string SkipLocked => "";

    /// <summary>
    /// The clock leases and retry times are read on, in Unix milliseconds: the database's own when servers share it
    /// (so their machines' clocks need not agree), else the server's (bound as @now, which tests control).
    /// </summary>
    public virtual string ClockMs => "@now";

    /// <summary>Ends a SELECT whose rows must stay as read until the transaction ends (SQLite has one writer at a time anyway).</summary>
    public virtual string ForUpdate => "";

    public abstract DbConnection Open();

    /// <summary>True when <paramref name="exception"/> is a write refused by a unique index.</summary>
    public abstract bool IsUniqueViolation(DbException exception);

    public abstract ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Brings the schema up to date; safe when several servers start at once.</summary>
    public abstract Task MigrateAsync(CancellationToken cancellationToken);
}

/// <summary>Commands with named parameters (written @name, which both SQLite and PostgreSQL take).</summary>
public static class SqlCommands
{
    public static DbCommand Sql(this DbConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Bind(name, value);
        }

        return command;
    }

    public static DbParameter Bind(this DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return parameter;
    }
}
