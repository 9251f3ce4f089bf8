using Microsoft.Extensions.Logging;
using SatsMotion.Video.Images;
using SatsMotion.Video.Models;

namespace SatsMotion.Video.Remote;

/// <summary>
/// A model run by a provider: submit once (the provider's job id is stored before waiting, so a restarted server
/// re-attaches instead of paying twice), wait within the model's timeout, then fetch and check the output and
/// serve it as our own video. A provider's verdict ends the remote job; a passing fault keeps it for the next attempt.
/// </summary>
public sealed class RemoteVideoModel(ModelDescriptor descriptor, IVideoProvider provider, OutputRehoster rehoster, OfferedLengths lengths, TimeSpan timeout, ILogger<RemoteVideoModel> log)
    : IVideoModel
{
    // Downloading and checking the output is the last tenth of the progress bar.
    private const double ProviderShare = 0.9;

    public ModelDescriptor Descriptor => descriptor;

    /// <summary>The provider, for what reaches it from outside (its pushes).</summary>
    public IVideoProvider Provider => provider;

    public Task<ModelAvailability> CheckAvailabilityAsync(CancellationToken cancellationToken) => provider.CheckAsync(cancellationToken);

    public async Task<VideoResult> GenerateAsync(VideoJob job, IVideoJobTracker tracker, CancellationToken cancellationToken)
    {
        var remoteJobId = tracker.RemoteJobId;
        if (remoteJobId is null)
        {
            var image = await File.ReadAllBytesAsync(job.ImagePath, cancellationToken);
            // Not cancelled by a shutdown: a submission the provider took must have its id stored, or a restart would pay
            // for a second one. The HTTP client's own timeouts still bound it.
            remoteJobId = await Guard(() => provider.SubmitAsync(
                new ProviderJob(job.JobId, image, MediaType(image), job.Prompt, job.DurationSeconds, lengths.Frames(job.DurationSeconds), job.Seed), CancellationToken.None));
            await tracker.SetRemoteJobIdAsync(remoteJobId, CancellationToken.None);
            log.LogInformation("Job {JobId}: submitted to {Model} as {RemoteJobId}", job.JobId, descriptor.Slug, remoteJobId);
        }

        ProviderOutput output;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            deadline.CancelAfter(timeout);
            try
            {
                output = await Guard(() => provider.WaitAsync(remoteJobId, new Scaled(tracker, ProviderShare), deadline.Token));
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                await CancelQuietlyAsync(remoteJobId);
                await tracker.SetRemoteJobIdAsync(null, CancellationToken.None);
                throw new VideoGenerationException(VideoFailure.ProviderTimeout, $"the video was not ready within {timeout.TotalSeconds:F0} s",
                    $"{descriptor.Slug}: remote job {remoteJobId} timed out after {timeout}");
            }
            catch (VideoGenerationException e) when (!e.Transient)
            {
                await EndAsync(remoteJobId, tracker);
                throw;
            }
        }

        try
        {
            var result = await rehoster.StoreAsync(output, job, cancellationToken);
            tracker.Report(1);
            await ForgetQuietlyAsync(remoteJobId);
            return result;
        }
        catch (VideoGenerationException e) when (!e.Transient)
        {
            await EndAsync(remoteJobId, tracker);
            throw;
        }
    }

    // The remote job is over for good: a next attempt submits anew, and the provider may drop this one.
    private async Task EndAsync(string remoteJobId, IVideoJobTracker tracker)
    {
        await tracker.SetRemoteJobIdAsync(null, CancellationToken.None);
        await ForgetQuietlyAsync(remoteJobId);
    }

    private async Task ForgetQuietlyAsync(string remoteJobId)
    {
        try
        {
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await provider.ForgetAsync(remoteJobId, quick.Token);
        }
        catch (Exception e) when (e is VideoGenerationException or HttpRequestException or OperationCanceledException)
        {
            log.LogWarning("{Model}: could not tell the provider to forget remote job {RemoteJobId}: {Message}", descriptor.Slug, remoteJobId, e.Message);
        }
    }

    // An answer with the wrong JSON types or encodings is the provider's fault, not a crash of ours.
    private async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or System.Text.Json.JsonException or KeyNotFoundException or UriFormatException)
        {
            throw new VideoGenerationException(VideoFailure.ProviderFailed, "the video provider answered something this server cannot use",
                $"{descriptor.Slug}: malformed answer ({e.GetType().Name}: {e.Message})", inner: e);
        }
    }

    private async Task CancelQuietlyAsync(string remoteJobId)
    {
        try
        {
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await provider.CancelAsync(remoteJobId, quick.Token);
        }
        catch (Exception e) when (e is VideoGenerationException or HttpRequestException or OperationCanceledException)
        {
            log.LogWarning("{Model}: could not cancel remote job {RemoteJobId}: {Message}", descriptor.Slug, remoteJobId, e.Message);
        }
    }

    private static string MediaType(byte[] image) => ImageSignature.Sniff(image) switch
    {
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "bmp" => "image/bmp",
        _ => "image/jpeg",
    };

    private sealed class Scaled(IProgress<double> inner, double share) : IProgress<double>
    {
        public void Report(double value) => inner.Report(Math.Clamp(value, 0, 1) * share);
    }
}
