using SatsMotion.Video.Models;
using SatsMotion.Video.Motion;

namespace SatsMotion.Server.Tests;

/// <summary>
/// The motion model under a test's control: told to, it fails its next job; while <see cref="Hold"/> is set, a job
/// waits (having said so through <see cref="Running"/>) until <see cref="Release"/>, then renders as usual.
/// </summary>
internal sealed class HeldMotionModel : IVideoModel
{
    private readonly LocalMotionModel _motion = new();

    public bool FailNext { get; set; }

    public bool Hold { get; set; }

    public TaskCompletionSource Running { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ModelDescriptor Descriptor => _motion.Descriptor;

    public async Task<VideoResult> GenerateAsync(VideoJob job, IVideoJobTracker tracker, CancellationToken cancellationToken)
    {
        if (FailNext)
        {
            FailNext = false;
            throw new VideoGenerationException(VideoFailure.ProviderFailed, "failed on purpose", "a test's failure");
        }

        if (Hold)
        {
            Running.TrySetResult();
            await Release.Task.WaitAsync(cancellationToken);
        }

        return await _motion.GenerateAsync(job, tracker, cancellationToken);
    }

    public Task<ModelAvailability> CheckAvailabilityAsync(CancellationToken cancellationToken) => _motion.CheckAvailabilityAsync(cancellationToken);
}
