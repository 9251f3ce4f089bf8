using Microsoft.Extensions.Options;
using SatsMotion.Server.Configuration;
using SatsMotion.Server.Storage;
using SatsMotion.Video.Encoding;
using SatsMotion.Video.Images;
using SatsMotion.Video.Models;
using SatsMotion.Video.Motion;

namespace SatsMotion.Server.Jobs;

/// <summary>
/// A bounded pool of workers that run queued jobs. On start it re-queues jobs that were queued or running when
/// the server stopped, so a paid job survives a restart. A failed run is retried up to MaxAttempts, then FAILED.
/// </summary>
public sealed class JobRunner(JobStore store, JobQueue queue, ModelCatalog catalog, IOptions<SatsMotionOptions> options, ILogger<JobRunner> logger) : BackgroundService
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(500);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var job in await store.ListUnfinishedAsync(stoppingToken))
        {
            await store.RequeueInterruptedAsync(job.Id, stoppingToken);
            queue.Enqueue(job.Id);
            logger.LogInformation("Resuming job {JobId} ({Status} when the server stopped)", job.Id, job.Status);
        }

        var workers = Enumerable.Range(0, Math.Max(1, options.Value.Workers)).Select(_ => WorkAsync(stoppingToken));
        await Task.WhenAll(workers);
    }

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var jobId in queue.Pending.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await RunAsync(jobId, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A store failure must not stop the pool; the job stays in its state and resumes on restart.
                    logger.LogError(e, "Job {JobId}: could not be run", jobId);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RunAsync(string jobId, CancellationToken stoppingToken)
    {
        var attempt = await store.StartAttemptAsync(jobId, stoppingToken);
        if (attempt is null)
        {
            return; // already taken by another worker, or no longer queued
        }

        var job = (await store.FindAsync(jobId, stoppingToken))!;
        try
        {
            var model = catalog.Find(job.Model) ?? throw new JobFailedException($"model '{job.Model}' is no longer offered by this server");
            using var image = ImageIntake.Decode(await File.ReadAllBytesAsync(store.ImagePath(job.Id), stoppingToken), OutputFrame.LongestSide);
            var progress = new ThrottledProgress(p => store.UpdateProgressAsync(job.Id, p, CancellationToken.None), ProgressInterval);
            logger.LogInformation("Job {JobId}: attempt {Attempt}, {Model}, {Duration} s", job.Id, attempt, job.Model, job.DurationSeconds);
            var result = await model.GenerateAsync(new VideoRequest(image, job.Prompt, job.DurationSeconds, store.VideoPath(job), store.PosterPath(job)), progress, stoppingToken);
            await progress.FlushAsync();
            await store.CompleteAsync(job.Id, result.Width, result.Height, CancellationToken.None);
            logger.LogInformation("Job {JobId}: completed", job.Id);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the job stays PROCESSING and is resumed on the next start.
            return;
        }
        catch (Exception e)
        {
            var retry = attempt < options.Value.MaxAttempts;
            logger.LogWarning(e, "Job {JobId}: attempt {Attempt} failed{Retry}", job.Id, attempt, retry ? ", will retry" : "");
            await store.RecordFailureAsync(job.Id, PublicReason(e), retry, CancellationToken.None);
            if (retry)
            {
                queue.Enqueue(job.Id);
                return;
            }
        }

        queue.SignalFinished(job.Id);
    }

    // What the caller may read: precise for their own input, general for the server's trouble (details are logged).
    private static string PublicReason(Exception e) => e switch
    {
        ImageRejectedException or JobFailedException => e.Message,
        FfmpegNotFoundException => "the server cannot encode video right now (ffmpeg is missing); redeem the same token later to retry",
        _ => "video generation failed on the server; redeem the same token to retry",
    };

    /// <summary>Reports progress to the store at most once per interval.</summary>
    private sealed class ThrottledProgress(Func<double, Task> write, TimeSpan interval) : IProgress<double>
    {
        private readonly Lock _gate = new();
        private DateTimeOffset _last = DateTimeOffset.MinValue;
        private double _latest;
        private Task _pending = Task.CompletedTask;

        public void Report(double value)
        {
            lock (_gate)
            {
                _latest = value;
                var now = DateTimeOffset.UtcNow;
                if (now - _last < interval || !_pending.IsCompleted)
                {
                    return;
                }

                _last = now;
                _pending = write(value);
            }
        }

        public async Task FlushAsync()
        {
            await _pending;
            await write(_latest);
        }
    }
}

/// <summary>A job that cannot succeed as asked; the message is for the caller.</summary>
public sealed class JobFailedException(string message) : Exception(message);
