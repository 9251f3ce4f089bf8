using Microsoft.Extensions.Options;
using Prometheus;
using SatsMotion.Server.Configuration;
using SatsMotion.Server.Hardening;
using SatsMotion.Server.Storage;
using SatsMotion.Video.Encoding;
using SatsMotion.Video.Images;
using SatsMotion.Video.Models;

namespace SatsMotion.Server.Jobs;

/// <summary>
/// A bounded pool of workers that run queued jobs. On start it re-queues jobs that were queued or running when
/// the server stopped, so a paid job survives a restart. A failed run is retried up to MaxAttempts, then FAILED.
/// </summary>
public sealed class JobRunner(JobStore store, JobQueue queue, ModelCatalog catalog, Refunds refunds, IOptions<SatsMotionOptions> options, ILogger<JobRunner> logger) : BackgroundService
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
            var tracker = new StoredJobTracker(store, job.Id, job.RemoteJobId, ProgressInterval);
            logger.LogInformation("Job {JobId}: attempt {Attempt}, {Model}, {Duration} s{Remote}", job.Id, attempt, job.Model, job.DurationSeconds,
                job.RemoteJobId is null ? "" : $", re-attaching to remote job {job.RemoteJobId}");
            var request = new VideoJob(job.Id, store.ImagePath(job.Id), job.Prompt, job.DurationSeconds, Seed(job.Id), store.VideoPath(job), store.PosterPath(job));
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            VideoResult result;
            using (SatsMotionMetrics.JobsRunning.WithLabels(job.Model).TrackInProgress())
            {
                result = await model.GenerateAsync(request, tracker, stoppingToken);
            }

            await tracker.FlushAsync();
            await store.CompleteAsync(job.Id, result.Width, result.Height, CancellationToken.None);
            SatsMotionMetrics.JobDuration.WithLabels(job.Model).Observe(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
            SatsMotionMetrics.JobsFinished.WithLabels("COMPLETED", job.Model).Inc();
            logger.LogInformation("Job {JobId}: completed", job.Id);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the job is handed back to the queue, resumed on the next start (a remote job re-attached).
            await store.RequeueInterruptedAsync(job.Id, CancellationToken.None);
            logger.LogInformation("Job {JobId}: handed back on shutdown", job.Id);
            return;
        }
        catch (Exception e)
        {
            // A provider's verdict on this input (a refusal, a filter, a timeout) will not change on a rerun.
            var retry = attempt < options.Value.MaxAttempts && e is not VideoGenerationException { Transient: false };
            var (code, reason) = PublicReason(e);
            if (e is VideoGenerationException)
            {
                SatsMotionMetrics.BackendErrors.WithLabels(job.Model, code).Inc();
            }

            logger.LogWarning(e, "Job {JobId}: attempt {Attempt} failed ({Code}{Detail}){Retry}", job.Id, attempt, code,
                e is VideoGenerationException generation ? $": {generation.Detail}" : "", retry ? ", will retry" : "");
            await store.RecordFailureAsync(job.Id, code, reason, retry, CancellationToken.None);
            if (retry)
            {
                queue.Enqueue(job.Id);
                return;
            }

            SatsMotionMetrics.JobsFinished.WithLabels("FAILED", job.Model).Inc();
            await refunds.OfferAsync(job, CancellationToken.None);
        }

        queue.SignalFinished(job.Id);
    }

    // The same job gets the same seed on every attempt, so a retry asks the provider for the same video.
    private static long Seed(string jobId) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(jobId)));

    // What the caller may read: precise for their own input, general for the server's trouble (details are logged).
    private static (string Code, string Reason) PublicReason(Exception e) => e switch
    {
        VideoGenerationException generation => (generation.Code, generation.Message),
        ImageRejectedException or JobFailedException => ("INVALID_INPUT", e.Message),
        FfmpegNotFoundException => ("GENERATION_FAILED", "the server cannot encode video right now (ffmpeg is missing); redeem the same token later to retry"),
        _ => ("GENERATION_FAILED", "video generation failed on the server; redeem the same token to retry"),
    };
}

/// <summary>A job that cannot succeed as asked; the message is for the caller.</summary>
public sealed class JobFailedException(string message) : Exception(message);
