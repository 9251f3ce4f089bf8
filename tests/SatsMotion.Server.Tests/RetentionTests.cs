using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SatsMotion.Server.Configuration;
using SatsMotion.Server.Jobs;
using SatsMotion.Server.Storage;
using SatsMotion.Server.Storage.Local;
using SatsMotion.Server.Storage.Sqlite;

namespace SatsMotion.Server.Tests;

/// <summary>
/// Videos past retention lose their files before their jobs are marked expired: when the blob store fails midway,
/// nothing is marked without its files being gone, and the next pass finishes the work.
/// </summary>
public sealed class RetentionTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("retention-").FullName;
    private readonly ManualClock _clock = new();
    private readonly LocalBlobStore _files;
    private readonly JobStore _store;

    public RetentionTests()
    {
        var data = new DataDirectory(_directory);
        _files = new LocalBlobStore(data);
        _store = new JobStore(new SqliteDatabase(data.Database), _files, _clock);
    }

    private async Task<Job> FinishedJobAsync(string token)
    {
        await _store.CreateOnceAsync(new NewJob(token, "hash", "request", "motion", 3, "zoom", 300), new byte[] { 1 }, CancellationToken.None);
        var job = (await _store.ClaimNextAsync("w", TimeSpan.FromMinutes(1), CancellationToken.None))!;
        await File.WriteAllBytesAsync(Path.Combine(_directory, JobBlobs.Video(job)), [2]);
        await _store.CompleteAsync(job.Id, "w", 640, 360, CancellationToken.None);
        return job;
    }

    private VideoRetentionSweeper Sweeper(IBlobStore blobs) =>
        new(_store, blobs, Options.Create(new SatsMotionOptions { VideoRetention = TimeSpan.FromDays(1) }), _clock, NullLogger<VideoRetentionSweeper>.Instance);

    [Fact]
    public async Task A_store_failing_midway_marks_nothing_whose_files_remain_and_the_next_pass_finishes()
    {
        var first = await FinishedJobAsync("t1");
        var second = await FinishedJobAsync("t2");
        _clock.Advance(TimeSpan.FromDays(2));

        await Assert.ThrowsAsync<StorageUnavailableException>(() => Sweeper(new FailingAfter(_files, deletes: 4)).SweepAsync(CancellationToken.None));
        var states = new[] { (await _store.FindAsync(first.Id, CancellationToken.None))!, (await _store.FindAsync(second.Id, CancellationToken.None))! };
        Assert.Single(states, j => j.ExpiredAt is not null);
        Assert.All(states.Where(j => j.ExpiredAt is not null), j => Assert.False(File.Exists(Path.Combine(_directory, JobBlobs.Video(j)))));

        Assert.Equal(1, await Sweeper(_files).SweepAsync(CancellationToken.None));
        Assert.NotNull((await _store.FindAsync(second.Id, CancellationToken.None))!.ExpiredAt);
        Assert.Empty(Directory.GetFiles(Path.Combine(_directory, "videos")));
        Assert.Empty(Directory.GetFiles(Path.Combine(_directory, "uploads")));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, true);
    }

    /// <summary>The local store, whose deletes fail (as a bucket gone away) after the first few.</summary>
    private sealed class FailingAfter(IBlobStore inner, int deletes) : IBlobStore
    {
        private int _left = deletes;

        public string Description => inner.Description;

        public bool SharedByServers => inner.SharedByServers;

        public Task PutAsync(string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken) => inner.PutAsync(key, content, contentType, cancellationToken);

        public Task<string> FetchAsync(string key, string scratchPath, CancellationToken cancellationToken) => inner.FetchAsync(key, scratchPath, cancellationToken);

        public Task PublishAsync(string key, string localPath, string contentType, CancellationToken cancellationToken) => inner.PublishAsync(key, localPath, contentType, cancellationToken);

        public Task DeleteAsync(string key, CancellationToken cancellationToken) =>
            --_left >= 0 ? inner.DeleteAsync(key, cancellationToken) : throw new StorageUnavailableException("the bucket went away");

        public Task<IResult?> ServeAsync(string key, string contentType, CancellationToken cancellationToken) => inner.ServeAsync(key, contentType, cancellationToken);

        public Task<string?> CheckAsync(CancellationToken cancellationToken) => inner.CheckAsync(cancellationToken);
    }
}
