using Microsoft.Data.Sqlite;
using SatsMotion.Server.Jobs;
using SatsMotion.Server.Storage;
using SatsMotion.Server.Storage.Local;
using SatsMotion.Server.Storage.Sqlite;

namespace SatsMotion.Server.Tests;

/// <summary>
/// The job store's leases, on SQLite (PostgreSQL runs the same SQL in the cluster tests): a claimed job is one
/// worker's until its lease runs out; then another takes it over, and the first one's writes no longer count.
/// </summary>
public sealed class JobLeaseTests : IDisposable
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private readonly string _directory = Directory.CreateTempSubdirectory("leases-").FullName;
    private readonly ManualClock _clock = new();
    private readonly JobStore _store;

    public JobLeaseTests()
    {
        var data = new DataDirectory(_directory);
        _store = new JobStore(new SqliteDatabase(data.Database), new LocalBlobStore(data), _clock);
    }

    private async Task<Job> QueueAsync(string token)
    {
        var (job, _) = await _store.CreateOnceAsync(new NewJob(token, "hash", "request", "motion", 3, "zoom", 300), new byte[] { 1, 2, 3 }, CancellationToken.None);
        return job;
    }

    [Fact]
    public async Task A_claimed_job_is_not_claimed_again_while_its_lease_runs()
    {
        var job = await QueueAsync("t1");
        var claimed = await _store.ClaimNextAsync("w1", Lease, CancellationToken.None);
        Assert.Equal((job.Id, JobStatus.PROCESSING, 1), (claimed!.Id, claimed.Status, claimed.Attempts));
        Assert.Null(await _store.ClaimNextAsync("w2", Lease, CancellationToken.None));

        _clock.Advance(Lease / 2);
        Assert.True(await _store.RenewLeaseAsync(job.Id, "w1", Lease, CancellationToken.None));
        _clock.Advance(Lease * 0.9);
        Assert.Null(await _store.ClaimNextAsync("w2", Lease, CancellationToken.None));
    }

    [Fact]
    public async Task An_expired_lease_passes_the_job_to_another_worker_and_the_first_ones_writes_no_longer_count()
    {
        var job = await QueueAsync("t1");
        await _store.ClaimNextAsync("w1", Lease, CancellationToken.None);
        _clock.Advance(Lease + TimeSpan.FromSeconds(1));

        var taken = await _store.ClaimNextAsync("w2", Lease, CancellationToken.None);
        Assert.Equal((job.Id, 2), (taken!.Id, taken.Attempts));
        Assert.False(await _store.RenewLeaseAsync(job.Id, "w1", Lease, CancellationToken.None));
        Assert.False(await _store.CompleteAsync(job.Id, "w1", 640, 360, CancellationToken.None));
        Assert.False(await _store.RecordFailureAsync(job.Id, "w1", "GENERATION_FAILED", "x", retry: false, CancellationToken.None));
        await _store.SetRemoteJobIdAsync(job.Id, "w1", "stale", CancellationToken.None);
        Assert.Null((await _store.FindAsync(job.Id, CancellationToken.None))!.RemoteJobId);

        Assert.True(await _store.CompleteAsync(job.Id, "w2", 640, 360, CancellationToken.None));
        Assert.Equal(JobStatus.COMPLETED, (await _store.FindAsync(job.Id, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task Jobs_are_claimed_oldest_first_and_a_released_run_is_claimable_at_once()
    {
        var older = await QueueAsync("t1");
        _clock.Advance(TimeSpan.FromMilliseconds(5));
        var newer = await QueueAsync("t2");
        Assert.Equal(older.Id, (await _store.ClaimNextAsync("w1", Lease, CancellationToken.None))!.Id);

        // A run handed back before it reached the model (the bucket was away) does not use up an attempt.
        await _store.ReleaseAsync(older.Id, "w1", countAttempt: false, CancellationToken.None);
        var again = await _store.ClaimNextAsync("w2", Lease, CancellationToken.None);
        Assert.Equal((older.Id, 1), (again!.Id, again.Attempts));
        Assert.Equal(newer.Id, (await _store.ClaimNextAsync("w1", Lease, CancellationToken.None))!.Id);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, true);
    }
}
