namespace SatsMotion.Video.Models;

/// <summary>A model's catalog entry: what callers see in /api/l402/models and what the price is computed from.</summary>
public sealed record ModelDescriptor(
    int Id,
    string Slug,
    string Name,
    string Description,
    int SatsPerSecond,
    IReadOnlyList<int> Durations,
    string Output,
    bool IsAi)
{
    public const string KindVideoFromImage = "video_from_image";
    public const int DefaultDurationSeconds = 5;

    /// <summary>3 to 15 seconds, every whole second: what a model offers unless it says otherwise.</summary>
    public static readonly IReadOnlyList<int> StandardDurations = Enumerable.Range(3, 13).ToArray();

    public string Kind => KindVideoFromImage;

    public int MinDurationSeconds => Durations.Min();

    public int MaxDurationSeconds => Durations.Max();

    /// <summary>The default length, or the offered length nearest to it.</summary>
    public int DefaultDuration => Durations.Contains(DefaultDurationSeconds) ? DefaultDurationSeconds : Durations.MinBy(d => Math.Abs(d - DefaultDurationSeconds));

    /// <summary>True when the durations are every second from min to max (then a range describes them).</summary>
    public bool IsContiguous => Durations.Count == MaxDurationSeconds - MinDurationSeconds + 1;

    public long PriceSats(int durationSeconds) => (long)durationSeconds * SatsPerSecond;

    public bool AllowsDuration(int seconds) => Durations.Contains(seconds);
}
