using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace SatsMotion.Testing;

/// <summary>
/// A real PostgreSQL from Debian's package, in a temporary directory on a free loopback port, with trust
/// authentication and durability off (tests need speed, not crash safety of the test data). PostgreSQL refuses to
/// run as root: then it runs as the package's "postgres" user. It can be stopped and started again.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _directory;
    private readonly string _bin;
    private readonly int _port = LoopbackPorts.Free();

    private readonly string[] _settings;

    private PostgresServer(string directory, string bin, string[] settings)
    {
        _directory = directory;
        _bin = bin;
        _settings = settings;
    }

    private string Data => Path.Combine(_directory, "data");

    /// <summary>Starts a new server; <paramref name="settings"/> are extra "name=value" server settings.</summary>
    public static async Task<PostgresServer> StartAsync(params string[] settings)
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0).FirstOrDefault()
            : null;
        if (bin is null)
        {
            throw new InvalidOperationException("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); ./test installs Debian's postgresql package");
        }

        var server = new PostgresServer(Directory.CreateTempSubdirectory("pg-").FullName, bin, settings);
        if (Environment.IsPrivilegedProcess)
        {
            await ExecAsync("chown", ["-R", "postgres:postgres", server._directory]);
        }

        await server.RunAsync("initdb", ["-D", server.Data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]);
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>A new, empty database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"satsmotion_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(ConnectionString("postgres")))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }

        return ConnectionString(name);
    }

    public async Task StartAgainAsync()
    {
        string[] options = ["-p", _port.ToString(CultureInfo.InvariantCulture), "-k", _directory, "-c listen_addresses=127.0.0.1",
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300", .. _settings.Select(setting => $"-c {setting}")];
        await RunAsync("pg_ctl", ["-D", Data, "-o", string.Join(' ', options), "-l", Path.Combine(_directory, "log"), "-w", "-t", "30", "start"]);
    }

    /// <summary>Stops the server at once (connections are cut); <see cref="StartAgainAsync"/> brings it back with its data.</summary>
    public Task StopAsync() => RunAsync("pg_ctl", ["-D", Data, "-m", "fast", "-w", "stop"]);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsync("pg_ctl", ["-D", Data, "-m", "immediate", "-w", "stop"]);
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        Directory.Delete(_directory, true);
    }

    private string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = _port, Username = "postgres", Database = database, MaxPoolSize = 20 }.ToString();

    private Task RunAsync(string tool, string[] arguments) => Environment.IsPrivilegedProcess
        ? ExecAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. arguments])
        : ExecAsync(Path.Combine(_bin, tool), arguments);

    private static async Task ExecAsync(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {await output}{await errors}");
        }
    }
}
