namespace SatsMotion.Video.Motion;

public enum Easing
{
    EaseInOut,
    Linear,
    EaseIn,
    EaseOut,
}

/// <summary>The camera at one instant: zoom (≥ 1) and the crop centre as a fraction (-1..1) of the room it has to travel.</summary>
public readonly record struct CameraPose(double Zoom, double OffsetX, double OffsetY);

/// <summary>
/// A camera move over the clip: zoom and centre interpolated from start to end with easing, plus an optional
/// orbit (an ellipse traced by the centre). Offsets are fractions of the free room at the current zoom, so any
/// pose with |offset| ≤ 1 stays inside the image: motion never reveals an edge.
/// </summary>
public sealed record CameraMove(double StartZoom, double EndZoom, double StartX, double EndX, double StartY, double EndY, double OrbitRadius, Easing Easing)
{
    public CameraPose At(double t)
    {
        t = Math.Clamp(t, 0, 1);
        var e = Ease(t);
        var zoom = StartZoom + (EndZoom - StartZoom) * e;
        var x = StartX + (EndX - StartX) * e;
        var y = StartY + (EndY - StartY) * e;
        if (OrbitRadius > 0)
        {
            // Half a turn at constant angular speed: the centre sweeps an arc from above to below. Easing the
            // angle, or turning further, would curve faster than the eye reads as a calm drift.
            var angle = Math.PI * t;
            x += OrbitRadius * Math.Sin(angle);
            y -= OrbitRadius * Math.Cos(angle);
        }

        return new CameraPose(zoom, Math.Clamp(x, -1, 1), Math.Clamp(y, -1, 1));
    }

    private double Ease(double t) => Easing switch
    {
        Easing.Linear => t,
        Easing.EaseIn => t * t,
        Easing.EaseOut => t * (2 - t),
        _ => t * t * (3 - 2 * t),
    };
}
