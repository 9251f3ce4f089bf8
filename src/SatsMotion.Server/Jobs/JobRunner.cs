using System.Security.Cryptography;
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
/// A bounded pool of workers that claim queued jobs from the store and run them. A claimed job is held by a lease
/// the worker renews while it runs; a worker that dies loses it, and any worker (here or on another machine)
/// takes the job over, re-attaching to a remote provider's job. A failed run is retried up to MaxAttempts, then FAILED.
/// </summary>
public sealed class JobRunner(
    JobStore store,
    JobQueue queue,
    IBlobStore blobs,
    Database database,
    DataDirectory data,
    ModelCatalog catalog,
    Refunds refunds,
    IOptions<SatsMotionOptions> options,
    ILogger<JobRunner> logger) : BackgroundService
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>How often an idle worker looks for work it was not told about (a lease that ran out, a lost signal).</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(2);

    /// <summary>How long a worker waits after the blob store failed it, before it claims again.</summary>
    private static readonly TimeSpan StorageBackoff = TimeSpan.FromSeconds(5);

    // Unique per process, and each worker of the pool adds its number: a lease names the one loop that may run the
    // job. A restarted process is a new owner, and takes its old jobs over only once their leases end.
    private readonly string _process = $"{Environment.MachineName}/{Environment.ProcessId}/{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";

    private TimeSpan Lease => options.Value.JobLease;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!database.SharedByServers)
        {
            foreach (var id in await store.RequeueInterruptedAsync(stoppingToken))
            {
                logger.LogInformation("Resuming job {JobId} (running when the server stopped)", id);
            }
        }

        RemoveStaleScratch();
        var workers = Enumerable.Range(0, Math.Max(1, options.Value.Workers)).Select(i => WorkAsync($"{_process}/{i}", stoppingToken));
        await Task.WhenAll(workers);
    }

    // A killed run leaves its scratch folder. Alone on its database no other run is alive; sharing one, another
    // process may use this data directory too, and only folders untouched for a day (no run is that long) go.
    private void RemoveStaleScratch()
    {
        var before = database.SharedByServers ? DateTime.UtcNow - TimeSpan.FromDays(1) : DateTime.MaxValue;
        foreach (var folder in new DirectoryInfo(data.Work).EnumerateDirectories().Where(d => d.LastWriteTimeUtc < before))
        {
            try
            {
                folder.Delete(recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning("Could not remove the old scratch folder {Folder}: {Message}", folder.FullName, e.Message);
            }
        }
    }

    private async Task WorkAsync(string owner, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var wake = queue.NextWake;
            Job? job = null;
            try
            {
                job = await store.ClaimNextAsync(owner, Lease, stoppingToken);
                if (job is not null && !await RunAsync(job, owner, stoppingToken))
                {
                    await Task.Delay(StorageBackoff, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The database is away, or a write failed: the pool keeps going; a claimed job comes back when its lease ends.
                logger.LogError(e, "Worker: {What} failed; trying again shortly", job is null ? "looking for work" : $"job {job.Id}");
                job = null;
            }

            if (job is null)
            {
                await Task.WhenAny(wake, Task.Delay(Poll, stoppingToken));
            }
        }
    }

    /// <summary>Runs one claimed job; false when the blob store failed it (handed back without using up an attempt).</summary>
    private async Task<bool> RunAsync(Job job, string owner, CancellationToken stoppingToken)
    {
        using var run = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var lease = KeepLeaseAsync(job.Id, owner, run);

        // A folder of this run's own: a run that lost its lease may still be stopping while the job's next run starts.
        var scratch = Path.Combine(data.Work, $"{job.Id}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}");
        try
        {
            Directory.CreateDirectory(scratch);
            if (job.Attempts > options.Value.MaxAttempts)
            {
                // Only a run that never came back (its worker was killed, or lost the job) leaves the count this high.
                throw new InvalidOperationException($"claimed for attempt {job.Attempts} of at most {options.Value.MaxAttempts}: the earlier runs ended without a result");
            }

            var model = catalog.Find(job.Model) ?? throw new JobFailedException($"model '{job.Model}' is no longer offered by this server");
            var tracker = new StoredJobTracker(store, job.Id, owner, job.RemoteJobId, ProgressInterval);
            logger.LogInformation("Job {JobId}: attempt {Attempt}, {Model}, {Duration} s{Remote}", job.Id, job.Attempts, job.Model, job.DurationSeconds,
                job.RemoteJobId is null ? "" : $", re-attaching to remote job {job.RemoteJobId}");
            var input = await blobs.FetchAsync(JobBlobs.Input(job.Id), Path.Combine(scratch, "input.img"), run.Token);
            var request = new VideoJob(job.Id, input, job.Prompt, job.DurationSeconds, Seed(job.Id), Path.Combine(scratch, "video.mp4"), Path.Combine(scratch, "poster.jpg"));
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            VideoResult result;
            using (SatsMotionMetrics.JobsRunning.WithLabels(job.Model).TrackInProgress())
            {
                result = await model.GenerateAsync(request, tracker, run.Token);
            }

            try
            {
                await tracker.FlushAsync();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Progress is for display; the finished video is not thrown away for it.
                logger.LogWarning("Job {JobId}: its last progress could not be stored: {Message}", job.Id, e.Message);
            }

            await blobs.PublishAsync(JobBlobs.Poster(job), result.PosterPath, "image/jpeg", run.Token);
            await blobs.PublishAsync(JobBlobs.Video(job), result.VideoPath, "video/mp4", run.Token);
            if (!await store.CompleteAsync(job.Id, owner, result.Width, result.Height, CancellationToken.None))
            {
                logger.LogWarning("Job {JobId}: finished after another worker took it over; this result is not recorded", job.Id);
                return true;
            }

            SatsMotionMetrics.JobDuration.WithLabels(job.Model).Observe(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
            SatsMotionMetrics.JobsFinished.WithLabels("COMPLETED", job.Model).Inc();
            logger.LogInformation("Job {JobId}: completed", job.Id);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the job is handed back to the queue, resumed by the next worker (a remote job re-attached).
            // A deploy is not the job's fault: the attempt does not count.
            await store.ReleaseAsync(job.Id, owner, countAttempt: false, CancellationToken.None);
            logger.LogInformation("Job {JobId}: handed back on shutdown", job.Id);
            return true;
        }
        catch (OperationCanceledException) when (run.IsCancellationRequested)
        {
            return true; // the lease was lost (logged where it was noticed): the job is another worker's now
        }
        catch (StorageUnavailableException e)
        {
            await store.ReleaseAsync(job.Id, owner, countAttempt: false, CancellationToken.None);
            logger.LogError("Job {JobId}: handed back, the blob store is unavailable: {Message}", job.Id, e.Message);
            return false;
        }
        catch (Exception e)
        {
            // A provider's verdict on this input (a refusal, a filter, a timeout) will not change on a rerun.
            var retry = job.Attempts < options.Value.MaxAttempts && e is not VideoGenerationException { Transient: false };
            var (code, reason) = PublicReason(e);
            if (e is VideoGenerationException)
            {
                SatsMotionMetrics.BackendErrors.WithLabels(job.Model, code).Inc();
            }

            logger.LogWarning(e, "Job {JobId}: attempt {Attempt} failed ({Code}{Detail}){Retry}", job.Id, job.Attempts, code,
                e is VideoGenerationException generation ? $": {generation.Detail}" : "", retry ? ", will retry" : "");
            if (!await store.RecordFailureAsync(job.Id, owner, code, reason, retry, CancellationToken.None))
            {
                return true;
            }

            if (retry)
            {
                await queue.EnqueueAsync(job.Id);
                return true;
            }

            SatsMotionMetrics.JobsFinished.WithLabels("FAILED", job.Model).Inc();
            await refunds.OfferAsync(job, CancellationToken.None);
        }
        finally
        {
            await run.CancelAsync();
            await lease;
            if (Directory.Exists(scratch))
            {
                Directory.Delete(scratch, recursive: true);
            }
        }

        await queue.FinishedAsync(job.Id);
        return true;
    }

    /// <summary>
    /// Renews the lease while the run goes on, every fifth of it, each try bounded to a fifth. When another worker
    /// has taken the job, or the next try could end after the lease (renewals failing or hanging), the run is
    /// stopped while the lease still holds: a job never runs twice at once.
    /// </summary>
    private async Task KeepLeaseAsync(string jobId, string owner, CancellationTokenSource run)
    {
        var step = Lease / 5;
        var held = System.Diagnostics.Stopwatch.GetTimestamp(); // when the last successful renewal was sent
        try
        {
            while (true)
            {
                await Task.Delay(step, run.Token);
                var sent = System.Diagnostics.Stopwatch.GetTimestamp();
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(run.Token);
                attempt.CancelAfter(step);
                try
                {
                    if (!await store.RenewLeaseAsync(jobId, owner, Lease, attempt.Token))
                    {
                        logger.LogWarning("Job {JobId}: another worker took it over; this run stops", jobId);
                        await run.CancelAsync();
                        return;
                    }

                    held = sent;
                }
                catch (Exception e) when (!run.IsCancellationRequested)
                {
                    if (System.Diagnostics.Stopwatch.GetElapsedTime(held) + 2 * step >= Lease)
                    {
                        logger.LogError("Job {JobId}: its lease could not be renewed ({Message}); this run stops before the lease ends", jobId, e.Message);
                        await run.CancelAsync();
                        return;
                    }
                }
            }
        }
        catch (Exception) when (run.IsCancellationRequested)
        {
            // The run ended (or was stopped above): nothing more to renew.
        }
    }

    // The same job gets the same seed on every attempt, so a retry asks the provider for the same video.
    private static long Seed(string jobId) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(jobId)));

    // What the caller may read: precise for their own input, general for the server's trouble (details are logged).
    private static (string Code, string Reason) PublicReason(Exception e) => e switch
    {
        VideoGenerationException generation => (generation.Code, generation.Message),
        ImageRejectedException or JobFailedException => ("INVALID_INPUT", e.Message),
        BlobNotFoundException => ("GENERATION_FAILED", "the server no longer has this job's image; send the same request with the same token to retry"),
        FfmpegNotFoundException => ("GENERATION_FAILED", "the server cannot encode video right now (ffmpeg is missing); redeem the same token later to retry"),
        _ => ("GENERATION_FAILED", "video generation failed on the server; redeem the same token to retry"),
    };
}

/// <summary>A job that cannot succeed as asked; the message is for the caller.</summary>
public sealed class JobFailedException(string message) : Exception(message);
