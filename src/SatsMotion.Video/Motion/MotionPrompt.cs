using System.Text.RegularExpressions;

namespace SatsMotion.Video.Motion;

/// <summary>
/// Reads camera motion from a prompt. The grammar (case-insensitive, word order free, combinable):
/// <list type="bullet">
/// <item>zoom in | push in | dolly in | move closer | zoom → zoom in; zoom out | pull out | pull back | dolly out | reveal → zoom out</item>
/// <item>pan left | pan right (the view turns that way); tilt up | tilt down</item>
/// <item>orbit | circle | arc | drift | float | sway → the view drifts on a gentle curve</item>
/// <item>speed: slowly | slow | gently | gentle | subtle (less), fast | quick | quickly | rapid (more), dramatic | dramatically | extreme (most)</item>
/// <item>easing: linear | steady | constant; ease in; ease out; otherwise ease in and out</item>
/// </list>
/// A prompt with no motion words (e.g. "make the person wave") gets a slow push-in toward the centre.
/// </summary>
public static partial class MotionPrompt
{
    private const double BaseZoom = 0.18;
    private const double PanZoom = 0.16;
    private const double PanTravel = 0.85;

    public static CameraMove Parse(string prompt)
    {
        var text = prompt.ToLowerInvariant();
        var strength = Strength(text);
        var easing = LinearWords().IsMatch(text) ? Easing.Linear
            : EaseInWords().IsMatch(text) ? Easing.EaseIn
            : EaseOutWords().IsMatch(text) ? Easing.EaseOut
            : Easing.EaseInOut;

        var zoomIn = ZoomInWords().IsMatch(text);
        var zoomOut = !zoomIn && ZoomOutWords().IsMatch(text);
        var panX = PanLeft().IsMatch(text) ? -1 : PanRight().IsMatch(text) ? 1 : 0;
        var panY = TiltUp().IsMatch(text) ? -1 : TiltDown().IsMatch(text) ? 1 : 0;
        var orbit = OrbitWords().IsMatch(text);

        if (!zoomIn && !zoomOut && panX == 0 && panY == 0 && !orbit)
        {
            zoomIn = true;
            strength = Math.Min(strength, 0.6);
        }

        var zoomAmount = BaseZoom * strength;
        double startZoom = 1, endZoom = 1;
        if (zoomIn)
        {
            endZoom = 1 + zoomAmount;
        }
        else if (zoomOut)
        {
            startZoom = 1 + zoomAmount;
        }

        // Panning and orbiting need room around the crop, so they hold at least a modest zoom.
        if (panX != 0 || panY != 0 || orbit)
        {
            var hold = 1 + PanZoom * Math.Max(1, strength);
            startZoom = Math.Max(startZoom, zoomIn ? 1 + PanZoom : hold);
            endZoom = Math.Max(endZoom, zoomOut ? 1 + PanZoom : hold);
        }

        var travel = Math.Min(1, PanTravel * Math.Max(0.6, Math.Min(strength, 1.2)));
        return new CameraMove(startZoom, endZoom, -panX * travel, panX * travel, -panY * travel, panY * travel, orbit ? 0.6 : 0, easing);
    }

    private static double Strength(string text) =>
        DramaticWords().IsMatch(text) ? 2.2
        : FastWords().IsMatch(text) ? 1.6
        : SlowWords().IsMatch(text) ? 0.6
        : 1.0;

    [GeneratedRegex(@"\b(zoom(ing)?\s+in(to)?|push(ing)?[\s-]+in|dolly(ing)?\s+in|move\s+closer|closer|zoom(s|ing)?)\b(?!\s*(out|back))")]
    private static partial Regex ZoomInWords();

    [GeneratedRegex(@"\b(zoom(ing)?\s+out|pull(ing)?[\s-]+(out|back|away)|dolly(ing)?\s+out|reveal(ing)?)\b")]
    private static partial Regex ZoomOutWords();

    [GeneratedRegex(@"\bpan(s|ning)?\s+(to\s+the\s+)?left\b")]
    private static partial Regex PanLeft();

    [GeneratedRegex(@"\bpan(s|ning)?\s+(to\s+the\s+)?right\b")]
    private static partial Regex PanRight();

    [GeneratedRegex(@"\btilt(s|ing)?\s+up(ward)?\b")]
    private static partial Regex TiltUp();

    [GeneratedRegex(@"\btilt(s|ing)?\s+down(ward)?\b")]
    private static partial Regex TiltDown();

    [GeneratedRegex(@"\b(orbit(s|ing)?|circl(e|es|ing)|arc(s|ing)?|drift(s|ing)?|float(s|ing)?|sway(s|ing)?)\b")]
    private static partial Regex OrbitWords();

    [GeneratedRegex(@"\b(slow(ly)?|gentl[ey]|subtle|subtly|soft(ly)?)\b")]
    private static partial Regex SlowWords();

    [GeneratedRegex(@"\b(fast|quick(ly)?|rapid(ly)?|swift(ly)?)\b")]
    private static partial Regex FastWords();

    [GeneratedRegex(@"\b(dramatic(ally)?|extreme(ly)?|epic|intense(ly)?)\b")]
    private static partial Regex DramaticWords();

    [GeneratedRegex(@"\b(linear|steady|steadily|constant)\b")]
    private static partial Regex LinearWords();

    [GeneratedRegex(@"\bease[\s-]+in\b(?![\s-]+(and|&)[\s-]+out)")]
    private static partial Regex EaseInWords();

    [GeneratedRegex(@"\bease[\s-]+out\b")]
    private static partial Regex EaseOutWords();
}
