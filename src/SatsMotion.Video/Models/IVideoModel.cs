using SatsMotion.Video.Images;

namespace SatsMotion.Video.Models;

/// <summary>What the local renderer is asked to make: the decoded still, the prompt, the length and where to write.</summary>
public sealed record VideoRequest(SourceImage Image, string Prompt, int DurationSeconds, string VideoPath, string PosterPath);

/// <summary>What a model made: an MP4 and a JPEG poster at the requested paths.</summary>
public sealed record VideoResult(string VideoPath, string PosterPath, int Width, int Height, int Frames, double DurationSeconds);

/// <summary>
/// One paid job as a model sees it: the caller's original image file (remote back-ends need its bytes, not a
/// decoded bitmap), the prompt, the length, a seed stable across retries, and where the video and poster go.
/// </summary>
public sealed record VideoJob(string JobId, string ImagePath, string Prompt, int DurationSeconds, long Seed, string VideoPath, string PosterPath);

/// <summary>
/// What a running job tells its owner: progress, and, for a remote back-end, the provider's job id, which must be
/// stored before the model waits on it so that a restart re-attaches instead of paying the provider twice.
/// </summary>
public interface IVideoJobTracker : IProgress<double>
{
    /// <summary>The provider's job id recorded by an earlier run of this job, if any.</summary>
    string? RemoteJobId { get; }

    /// <summary>Stores the provider's job id (or clears it with null, when that remote job is over for good).</summary>
    Task SetRemoteJobIdAsync(string? remoteJobId, CancellationToken cancellationToken);
}

/// <summary>
/// Whether a model can take work now; the reason is for the operator's log and /readyz, and <paramref name="CallerReason"/>
/// what the models list may show callers (a template that breaks its model's schema, never a provider's address or error).
/// <paramref name="InputChecked"/> is false for a model that takes work although its input could not be checked
/// against the provider's schema (the schema could not be read): the provider may still refuse it.
/// </summary>
public sealed record ModelAvailability(bool Available, string? Reason = null, string? CallerReason = null, bool InputChecked = true)
{
    public static readonly ModelAvailability Yes = new(true);

    /// <summary>Available as before, its input not checked: <paramref name="why"/> (for the operator) says what could not be read.</summary>
    public static ModelAvailability InputNotChecked(string why) =>
        new(true, $"input not checked: {why}", "input not checked: the provider's schema could not be read", InputChecked: false);
}

/// <summary>The port every video back-end implements, local or remote.</summary>
public interface IVideoModel
{
    ModelDescriptor Descriptor { get; }

    /// <summary>Writes the video and poster; reports progress in 0..1; leaves no partial file when cancelled or failed.</summary>
    Task<VideoResult> GenerateAsync(VideoJob job, IVideoJobTracker tracker, CancellationToken cancellationToken);

    /// <summary>A cheap check that the back-end is reachable and configured (no work is submitted).</summary>
    Task<ModelAvailability> CheckAvailabilityAsync(CancellationToken cancellationToken);
}
