using SatsMotion.Video.Models;

namespace SatsMotion.Video.Remote;

/// <summary>
/// What a provider is asked to make: our job's id (a provider that takes a client-chosen id gets one from it), the
/// caller's original image, the prompt, the length and its frame count by the model's rule, and a stable seed.
/// </summary>
public sealed record ProviderJob(string JobId, byte[] Image, string MediaType, string Prompt, int DurationSeconds, int Frames, long Seed);

/// <summary>Where a finished job's video is, and the credential its download needs when it is on the provider's own server.</summary>
public sealed record ProviderOutput(Uri Url, System.Net.Http.Headers.AuthenticationHeaderValue? Authorization = null);

/// <summary>
/// A hosted or self-hosted video API (Replicate, fal.ai, ComfyUI). It submits, waits and cancels; fetching and
/// checking the output is <see cref="RemoteVideoModel"/>'s. Failures are <see cref="VideoGenerationException"/>.
/// </summary>
public interface IVideoProvider
{
    /// <summary>Starts the provider's job and returns its id (sent once per job: this is what the operator pays for).</summary>
    Task<string> SubmitAsync(ProviderJob job, CancellationToken cancellationToken);

    /// <summary>Waits for the provider's job to end; returns the output. Progress is 0..1.</summary>
    Task<ProviderOutput> WaitAsync(string remoteJobId, IProgress<double> progress, CancellationToken cancellationToken);

    /// <summary>The job's output is stored (or the job failed for good): the provider may forget it (ComfyUI's history).</summary>
    Task ForgetAsync(string remoteJobId, CancellationToken cancellationToken);

    /// <summary>Asks the provider to stop a job (best effort: a job past saving is left to finish).</summary>
    Task CancelAsync(string remoteJobId, CancellationToken cancellationToken);

    /// <summary>
    /// A cheap call that proves the endpoint answers and the key is accepted, and that the operator's input fits the
    /// schema the provider publishes for the model, for every offered duration (no work is submitted).
    /// </summary>
    Task<ModelAvailability> CheckAsync(CancellationToken cancellationToken);
}
