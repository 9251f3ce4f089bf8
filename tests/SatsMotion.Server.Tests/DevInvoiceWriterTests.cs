using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using SatsMotion.Lightning.DevNode;
using SatsMotion.Server.Storage;
using SatsMotion.Server.Storage.Sqlite;

namespace SatsMotion.Server.Tests;

/// <summary>Group commit of the dev node's invoices, on a real SQLite file.</summary>
public sealed class DevInvoiceWriterTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("invoice-writer-").FullName;
    private SqliteDatabase _database = null!;
    private DevInvoiceWriter _writer = null!;
    private DevInvoiceStore _store = null!;

    public Task InitializeAsync()
    {
        _database = new SqliteDatabase(Path.Combine(_directory, "satsmotion.db"));
        _writer = new DevInvoiceWriter(_database);
        _store = new DevInvoiceStore(_database, _writer);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _writer.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, true);
    }

    [Fact]
    public async Task Every_concurrent_insert_is_committed_before_its_task_completes()
    {
        var invoices = Enumerable.Range(0, 500).Select(_ => NewInvoice()).ToList();
        await Task.WhenAll(invoices.Select(invoice => Task.Run(() => _store.AddAsync(invoice, CancellationToken.None))));

        foreach (var invoice in invoices)
        {
            var found = await _store.FindAsync(invoice.PaymentHash, CancellationToken.None);
            Assert.NotNull(found);
            Assert.Equal(invoice.Preimage, found.Preimage);
            Assert.Equal(invoice.PaymentRequest, found.PaymentRequest);
        }
    }

    [Fact]
    public async Task A_bad_row_fails_only_its_own_caller()
    {
        var first = NewInvoice();
        await _store.AddAsync(first, CancellationToken.None);
        var neighbours = Enumerable.Range(0, 50).Select(_ => NewInvoice()).ToList();


        // Hold SQLite's write lock so the duplicate and its neighbours queue up and go into one batch.
        await using var blocker = (SqliteConnection)_database.Open();
        var writeLock = blocker.BeginTransaction(deferred: false);

        var warm = _store.AddAsync(NewInvoice(), CancellationToken.None);
        await Task.Delay(100);
        var duplicate = _store.AddAsync(first with { PaymentRequest = "lnbcrt-duplicate" }, CancellationToken.None);
        var others = neighbours.Select(invoice => _store.AddAsync(invoice, CancellationToken.None)).ToList();
        writeLock.Rollback();
        await warm;

        await Assert.ThrowsAsync<SqliteException>(() => duplicate);
        await Task.WhenAll(others);
        Assert.Equal(first.PaymentRequest, (await _store.FindAsync(first.PaymentHash, CancellationToken.None))!.PaymentRequest);
        Assert.All(neighbours, invoice => Assert.NotNull(_store.FindAsync(invoice.PaymentHash, CancellationToken.None).Result));
    }

    [Fact]
    public async Task After_disposal_inserts_are_refused()
    {
        await _writer.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => _store.AddAsync(NewInvoice(), CancellationToken.None));
    }

    private static DevInvoice NewInvoice()
    {
        var preimage = RandomNumberGenerator.GetBytes(32);
        return new DevInvoice(SHA256.HashData(preimage), "lnbcrt" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), preimage, 500_000, DateTimeOffset.UtcNow.AddMinutes(10), null);
    }
}
