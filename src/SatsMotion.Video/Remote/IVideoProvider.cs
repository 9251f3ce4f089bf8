using SatsMotion.Video.Models;

namespace SatsMotion.Video.Remote;

/// <summary>What a provider is asked to make: the caller's original image, the prompt, the length, and a stable seed.</summary>
public sealed record ProviderJob(byte[] Image, string MediaType, string Prompt, int DurationSeconds, int Frames, long Seed);

/// <summary>
/// A hosted or self-hosted video API (Replicate, fal.ai, ComfyUI). It submits, waits and cancels; fetching and
/// checking the output is <see cref="RemoteVideoModel"/>'s. Failures are <see cref="VideoGenerationException"/>.
/// </summary>
public interface IVideoProvider
{
    /// <summary>Starts the provider's job and returns its id (sent once per job: this is what the operator pays for).</summary>
    Task<string> SubmitAsync(ProviderJob job, CancellationToken cancellationToken);

    /// <summary>Waits for the provider's job to end; returns the output's URL. Progress is 0..1.</summary>
    Task<Uri> WaitAsync(string remoteJobId, IProgress<double> progress, CancellationToken cancellationToken);

    /// <summary>Asks the provider to stop a job (best effort: a job past saving is left to finish).</summary>
    Task CancelAsync(string remoteJobId, CancellationToken cancellationToken);

    /// <summary>A cheap call that proves the endpoint answers and the key is accepted.</summary>
    Task<ModelAvailability> CheckAsync(CancellationToken cancellationToken);
}
