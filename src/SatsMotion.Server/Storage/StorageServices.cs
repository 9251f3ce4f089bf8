using SatsMotion.Server.Configuration;
using SatsMotion.Server.Jobs;
using SatsMotion.Server.Storage.Local;
using SatsMotion.Server.Storage.Postgres;
using SatsMotion.Server.Storage.S3;
using SatsMotion.Server.Storage.Sqlite;

namespace SatsMotion.Server.Storage;

/// <summary>Chooses the database and the blob store from the operator's settings; the defaults live in the data directory.</summary>
public static class StorageServices
{
    /// <summary>An Npgsql connection string selects PostgreSQL (and its job signals between servers); nothing selects SQLite.</summary>
    public static void AddDatabase(this IServiceCollection services, string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            services.AddSingleton<Database>(sp => new SqliteDatabase(sp.GetRequiredService<DataDirectory>().Database));
            return;
        }

        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new SettingsException($"SatsMotion:Database is not a PostgreSQL connection string (Host=…;Database=…;Username=…): {e.Message}");
        }

        services.AddSingleton(_ => new PostgresDatabase(connectionString));
        services.AddSingleton<Database>(sp => sp.GetRequiredService<PostgresDatabase>());
        services.AddSingleton<IJobBroadcast, PostgresJobBroadcast>();
        services.AddHostedService<PostgresJobListener>();
    }

    /// <summary>"type=s3;…" selects a bucket (<see cref="S3StorageSettings"/>); nothing selects the data directory.</summary>
    public static void AddBlobStore(this IServiceCollection services, string? setting)
    {
        if (string.IsNullOrWhiteSpace(setting))
        {
            services.AddSingleton<IBlobStore>(sp => new LocalBlobStore(sp.GetRequiredService<DataDirectory>()));
            return;
        }

        var settings = S3StorageSettings.Parse(setting);
        services.AddSingleton<IBlobStore>(_ => new S3BlobStore(settings));
    }
}
