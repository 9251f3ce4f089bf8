namespace SatsMotion.Video.Models;

/// <summary>Why a video could not be made, as the caller's job status names it.</summary>
public enum VideoFailure
{
    /// <summary>The provider failed the job or answered something we cannot use: PROVIDER_FAILED.</summary>
    ProviderFailed,

    /// <summary>The provider refused the input or the output on content grounds: CONTENT_FILTERED.</summary>
    ContentFiltered,

    /// <summary>The job took longer than the model's timeout: PROVIDER_TIMEOUT.</summary>
    ProviderTimeout,

    /// <summary>The output could not be fetched, or is not a video of about the asked length: OUTPUT_INVALID.</summary>
    OutputInvalid,
}

/// <summary>
/// A video back-end failed. <see cref="Exception.Message"/> is safe to show the caller (no provider URL, key or
/// raw error); <see cref="Detail"/> is for the operator's log. A transient failure is worth another attempt.
/// </summary>
public sealed class VideoGenerationException(VideoFailure failure, string message, string detail, bool transient = false, Exception? inner = null)
    : Exception(message, inner)
{
    public VideoFailure Failure { get; } = failure;

    public string Detail { get; } = detail;

    public bool Transient { get; } = transient;

    public string Code => Failure switch
    {
        VideoFailure.ContentFiltered => "CONTENT_FILTERED",
        VideoFailure.ProviderTimeout => "PROVIDER_TIMEOUT",
        VideoFailure.OutputInvalid => "OUTPUT_INVALID",
        _ => "PROVIDER_FAILED",
    };
}
