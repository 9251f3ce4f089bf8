namespace SatsMotion.Video.Models;

/// <summary>A model's catalog entry: what callers see in /api/l402/models and what the price is computed from.</summary>
public sealed record ModelDescriptor(
    int Id,
    string Slug,
    string Name,
    string Description,
    int SatsPerSecond,
    int MinDurationSeconds,
    int MaxDurationSeconds,
    string Output,
    bool IsAi)
{
    public const string KindVideoFromImage = "video_from_image";
    public const int DefaultDurationSeconds = 5;

    public string Kind => KindVideoFromImage;

    public long PriceSats(int durationSeconds) => (long)durationSeconds * SatsPerSecond;

    public bool AllowsDuration(int seconds) => seconds >= MinDurationSeconds && seconds <= MaxDurationSeconds;
}
