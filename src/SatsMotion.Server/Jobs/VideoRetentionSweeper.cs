using Microsoft.Extensions.Options;
using SatsMotion.Server.Configuration;
using SatsMotion.Server.Storage;

namespace SatsMotion.Server.Jobs;

/// <summary>Deletes videos (and their inputs) past the retention period, hourly.</summary>
public sealed class VideoRetentionSweeper(JobStore store, IBlobStore blobs, IOptions<SatsMotionOptions> options, TimeProvider time, ILogger<VideoRetentionSweeper> logger) : PeriodicHousekeeping(TimeSpan.FromHours(1), time, logger)
{
    protected override string PassName => "Deleting old videos";

    protected override Task RunPassAsync(CancellationToken cancellationToken) => SweepAsync(cancellationToken);

    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        // Files first, then the mark: a bucket that fails midway leaves the rest unmarked, for the next pass.
        var deleted = 0;
        IReadOnlyList<Job> batch;
        do
        {
            batch = await store.ListExpiringVideosAsync(Time.GetUtcNow() - options.Value.VideoRetention, cancellationToken);
            foreach (var job in batch)
            {
                await blobs.DeleteAsync(JobBlobs.Video(job), cancellationToken);
                await blobs.DeleteAsync(JobBlobs.Poster(job), cancellationToken);
                await blobs.DeleteAsync(JobBlobs.Input(job.Id), cancellationToken);
                await store.MarkVideoExpiredAsync(job.Id, cancellationToken);
                deleted++;
            }
        }
        while (batch.Count == JobStore.ExpiryBatch);

        if (deleted > 0)
        {
            Logger.LogInformation("Deleted {Count} videos older than {Retention}", deleted, options.Value.VideoRetention);
        }

        return deleted;
    }
}
