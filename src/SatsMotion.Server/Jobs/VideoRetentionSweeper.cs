using Microsoft.Extensions.Options;
using SatsMotion.Server.Configuration;
using SatsMotion.Server.Storage;

namespace SatsMotion.Server.Jobs;

/// <summary>Deletes videos (and their inputs) past the retention period, hourly.</summary>
public sealed class VideoRetentionSweeper(JobStore store, IOptions<SatsMotionOptions> options, TimeProvider time, ILogger<VideoRetentionSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), time);
        do
        {
            // A failed pass (a locked database, a full disk) is logged and tried again on the next tick; left
            // unhandled, it would stop the whole server.
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Deleting old videos failed; trying again on the next tick");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var expired = await store.ExpireVideosAsync(time.GetUtcNow() - options.Value.VideoRetention, cancellationToken);
        foreach (var job in expired)
        {
            File.Delete(store.VideoPath(job));
            File.Delete(store.PosterPath(job));
            File.Delete(store.ImagePath(job.Id));
        }

        if (expired.Count > 0)
        {
            logger.LogInformation("Deleted {Count} videos older than {Retention}", expired.Count, options.Value.VideoRetention);
        }

        return expired.Count;
    }
}
