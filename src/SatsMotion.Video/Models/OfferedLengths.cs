using System.Globalization;
using System.Text.RegularExpressions;

namespace SatsMotion.Video.Models;

/// <summary>
/// How many frames a model makes: exactly seconds × fps, or the next count of the form k·n+1 that many models
/// need (Wan: 4n+1, LTX-Video: 8n+1), never fewer than asked.
/// </summary>
public sealed partial record FrameRule(int Step)
{
    public static readonly FrameRule Exact = new(0);

    /// <summary>"exact", or "4n+1", "8n+1" (any k·n+1).</summary>
    public static FrameRule Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Trim().Equals("exact", StringComparison.OrdinalIgnoreCase))
        {
            return Exact;
        }

        var match = StepPattern().Match(text.Trim());
        return match.Success && int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var step) && step is >= 1 and <= 64
            ? new FrameRule(step)
            : throw new FormatException($"'{text}' is not a frame rule (exact, 4n+1, 8n+1, ...)");
    }

    public int Frames(int seconds, int fps)
    {
        var asked = seconds * fps;
        return Step == 0 ? asked : ((asked - 1 + Step - 1) / Step * Step) + 1;
    }

    public override string ToString() => Step == 0 ? "exact" : $"{Step}n+1";

    [GeneratedRegex(@"^(\d+)n\+1$")]
    private static partial Regex StepPattern();
}

/// <summary>The lengths a model offers, at its frame rate, and how each becomes a frame count.</summary>
public sealed record OfferedLengths(IReadOnlyList<int> Durations, int Fps, FrameRule FrameRule)
{
    public int Frames(int seconds) => FrameRule.Frames(seconds, Fps);
}
