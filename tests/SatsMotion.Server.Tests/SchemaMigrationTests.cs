using Microsoft.Data.Sqlite;
using SatsMotion.Server.Storage;
using SatsMotion.Server.Storage.Local;
using SatsMotion.Server.Storage.Sqlite;

namespace SatsMotion.Server.Tests;

/// <summary>
/// The schema is brought up to date at start-up: a database made by the release before migrations keeps its rows
/// and gains the later steps; servers starting at once apply each step once.
/// </summary>
public sealed class SchemaMigrationTests : IDisposable
{
    private readonly string _path = Path.Combine(Directory.CreateTempSubdirectory("migrations-").FullName, "satsmotion.db");

    // The schema as the release before migrations made it, with a paid job and a revocation in it.
    private const string FirstRelease = """
        CREATE TABLE dev_invoices (payment_hash TEXT PRIMARY KEY, payment_request TEXT NOT NULL, preimage TEXT NOT NULL,
            amount_msat INTEGER NOT NULL, expires_at INTEGER NOT NULL, settled_at INTEGER NULL);
        CREATE TABLE jobs (id TEXT PRIMARY KEY, token_id TEXT NOT NULL UNIQUE, payment_hash TEXT NOT NULL, request_hash TEXT NOT NULL,
            model TEXT NOT NULL, duration INTEGER NOT NULL, prompt TEXT NOT NULL, price_sats INTEGER NOT NULL, status TEXT NOT NULL,
            progress REAL NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0, error TEXT NULL, video_name TEXT NOT NULL,
            width INTEGER NULL, height INTEGER NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
            completed_at INTEGER NULL, expired_at INTEGER NULL);
        CREATE TABLE revoked_tokens (token_id TEXT PRIMARY KEY, reason TEXT NOT NULL, revoked_at INTEGER NOT NULL);
        INSERT INTO jobs (id, token_id, payment_hash, request_hash, model, duration, prompt, price_sats, status, video_name, created_at, updated_at)
            VALUES ('0123456789abcdef0123456789abcdef', 't1', 'h1', 'r1', 'motion', 5, 'zoom in', 500, 'COMPLETED', 'v1', 1, 2);
        INSERT INTO revoked_tokens VALUES ('t0', 'leaked', 3);
        """;

    private long Scalar(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={_path}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task A_database_of_the_first_release_keeps_its_rows_and_gains_the_later_steps()
    {
        using (var connection = new SqliteConnection($"Data Source={_path}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = FirstRelease;
            command.ExecuteNonQuery();
        }

        var database = new SqliteDatabase(_path);
        Assert.Equal(SqliteSchema.Latest, Scalar("SELECT MAX(version) FROM schema_migrations"));
        Assert.Equal(1, Scalar("SELECT COUNT(*) FROM schema_migrations WHERE version = 1"));
        Assert.Equal(2, Scalar("SELECT COUNT(*) FROM pragma_table_info('jobs') WHERE name IN ('remote_id', 'error_code')"));
        Assert.Equal(1, Scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'refunds'"));

        var store = new JobStore(database, new LocalBlobStore(new DataDirectory(Path.GetDirectoryName(_path)!)), TimeProvider.System);
        var job = await store.FindAsync("0123456789abcdef0123456789abcdef", CancellationToken.None);
        Assert.Equal(("zoom in", 500L), (job!.Prompt, job.PriceSats));
        Assert.Null(job.RemoteJobId);
        Assert.True(await new RevocationStore(database, TimeProvider.System).IsRevokedAsync("t0", CancellationToken.None));
    }

    [Fact]
    public async Task Servers_starting_at_once_apply_each_step_once()
    {
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => new SqliteDatabase(_path))));
        _ = new SqliteDatabase(_path);
        Assert.Equal(SqliteSchema.Latest, Scalar("SELECT COUNT(*) FROM schema_migrations"));
    }

    [Fact]
    public void Claims_from_before_step_5_get_their_invoices_hash_and_a_later_claim_of_the_same_hash_none()
    {
        _ = new SqliteDatabase(_path);
        static string Invoice(byte[] hash) => Lightning.Bolt11.Bolt11Codec.Encode(Lightning.Bolt11.Bolt11Network.Regtest, 300_000, DateTimeOffset.UtcNow,
            [Lightning.Bolt11.Bolt11TaggedField.PaymentHash(hash), Lightning.Bolt11.Bolt11TaggedField.PaymentSecret(new byte[32]), Lightning.Bolt11.Bolt11TaggedField.Description("refund")],
            System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        byte[] paid = [.. Enumerable.Repeat((byte)0xaa, 32)], other = [.. Enumerable.Repeat((byte)0xbb, 32)];
        using (var connection = new SqliteConnection($"Data Source={_path}"))
        {
            // As step 4 left them: two refunds claimed with one invoice (the second claimed with nothing paid), one claiming.
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                INSERT INTO refunds (job_id, k1, amount_msat, status, created_at, expires_at, claimed_at, payment_request) VALUES
                    ('j1', 'first', 300000, 'Claimed', 1, 9999999999, 10, $paid), ('j2', 'second', 300000, 'Claimed', 1, 9999999999, 20, $paid),
                    ('j3', 'third', 300000, 'Claiming', 1, 9999999999, 30, $other), ('j4', 'open', 300000, 'Available', 1, 9999999999, NULL, NULL);
                DROP INDEX refunds_by_payment_hash;
                DELETE FROM schema_migrations WHERE version >= 5;
                """;
            command.Parameters.AddWithValue("$paid", Invoice(paid));
            command.Parameters.AddWithValue("$other", Invoice(other));
            command.ExecuteNonQuery();
        }

        _ = new SqliteDatabase(_path);
        Assert.Equal(1, Scalar($"SELECT COUNT(*) FROM refunds WHERE k1 = 'first' AND payment_hash = '{Convert.ToHexStringLower(paid)}'"));
        Assert.Equal(1, Scalar($"SELECT COUNT(*) FROM refunds WHERE k1 = 'third' AND payment_hash = '{Convert.ToHexStringLower(other)}'"));
        Assert.Equal(2, Scalar("SELECT COUNT(*) FROM refunds WHERE payment_hash IS NULL"));
        Assert.Equal(1, Scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'refunds_by_payment_hash'"));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(Path.GetDirectoryName(_path)!, true);
    }
}
