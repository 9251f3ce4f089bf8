using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SatsMotion.Server.Configuration;
using SatsMotion.Server.Jobs;
using SatsMotion.Server.Storage;
using SatsMotion.Server.Storage.Local;
using SatsMotion.Server.Storage.Sqlite;

namespace SatsMotion.Server.Tests;

/// <summary>
/// The periodic housekeeping services survive a failed pass: an exception left to escape a background service
/// stops the whole server. The failure here is a table that is gone.
/// </summary>
public sealed class HousekeepingFailureTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("housekeeping-").FullName;
    private readonly Database _database;

    public HousekeepingFailureTests() => _database = new SqliteDatabase(Path.Combine(_directory, "satsmotion.db"));

    [Fact]
    public async Task Dev_invoice_pruner_outlives_a_failed_pass()
    {
        await using var writer = new DevInvoiceWriter(_database);
        var pruner = new DevInvoicePruner(new DevInvoiceStore(_database, writer), TimeProvider.System, NullLogger<DevInvoicePruner>.Instance);
        await AssertOutlivesFailedPassAsync("dev_invoices", pruner, () => pruner.PruneAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Video_retention_sweeper_outlives_a_failed_pass()
    {
        var blobs = new LocalBlobStore(new DataDirectory(_directory));
        var store = new JobStore(_database, blobs, TimeProvider.System);
        var sweeper = new VideoRetentionSweeper(store, blobs, Options.Create(new SatsMotionOptions()), TimeProvider.System, NullLogger<VideoRetentionSweeper>.Instance);
        await AssertOutlivesFailedPassAsync("jobs", sweeper, () => sweeper.SweepAsync(CancellationToken.None));
    }

    private async Task AssertOutlivesFailedPassAsync(string table, BackgroundService service, Func<Task<int>> pass)
    {
        await using (var connection = _database.Open())
        {
            await using var drop = connection.CreateCommand();
            drop.CommandText = $"DROP TABLE {table}";
            await drop.ExecuteNonQueryAsync();
        }

        await Assert.ThrowsAsync<SqliteException>(pass);

        // The first pass runs at start and fails the same way; the loop must still be waiting for its next tick.
        await service.StartAsync(CancellationToken.None);
        await Task.Delay(300);
        Assert.False(service.ExecuteTask!.IsCompleted);
        await service.StopAsync(CancellationToken.None);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, true);
    }
}
