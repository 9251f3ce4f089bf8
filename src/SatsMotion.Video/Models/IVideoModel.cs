using SatsMotion.Video.Images;

namespace SatsMotion.Video.Models;

/// <summary>What a model is asked to make: the decoded still, the prompt, the length and where to write.</summary>
public sealed record VideoRequest(SourceImage Image, string Prompt, int DurationSeconds, string VideoPath, string PosterPath);

/// <summary>What a model made: an MP4 and a JPEG poster at the requested paths.</summary>
public sealed record VideoResult(string VideoPath, string PosterPath, int Width, int Height, int Frames, double DurationSeconds);

/// <summary>The port every video back-end implements, local or remote.</summary>
public interface IVideoModel
{
    ModelDescriptor Descriptor { get; }

    /// <summary>Writes the video and poster; reports progress in 0..1; leaves no partial file when cancelled or failed.</summary>
    Task<VideoResult> GenerateAsync(VideoRequest request, IProgress<double>? progress, CancellationToken cancellationToken);
}
