namespace SatsMotion.Testing;

/// <summary>
/// Measures how smoothly bright blobs move across frames: each blob is tracked by its intensity-weighted centroid,
/// and each track is compared, over sliding 15-frame windows, with its least-squares quadratic. Any smooth camera
/// path is locally quadratic; whole-pixel stepping shows up as residuals of a few tenths of a pixel.
/// </summary>
public static class Smoothness
{
    private const int Window = 15;

    /// <summary>Returns the worst per-track RMS residual (pixels) over all blobs and both axes.</summary>
    public static double WorstTrackRms(IReadOnlyList<byte[]> grayFrames, int width, int height, int radius)
    {
        var starts = FindBlobs(grayFrames[0], width, height, radius);
        if (starts.Count == 0)
        {
            throw new InvalidOperationException("no blobs found in the first frame");
        }

        var worst = 0.0;
        foreach (var start in starts)
        {
            var track = new List<(double X, double Y)>();
            var at = start;
            foreach (var frame in grayFrames)
            {
                at = Centroid(frame, width, height, at, radius);
                track.Add(at);
            }

            worst = Math.Max(worst, WindowedQuadraticRms(track.Select(p => p.X).ToArray()));
            worst = Math.Max(worst, WindowedQuadraticRms(track.Select(p => p.Y).ToArray()));
        }

        return worst;
    }

    public static int BlobCount(byte[] frame, int width, int height, int radius) => FindBlobs(frame, width, height, radius).Count;

    private static List<(double X, double Y)> FindBlobs(byte[] frame, int width, int height, int radius)
    {
        var found = new List<(double X, double Y)>();
        for (var y = radius * 2; y < height - radius * 2; y++)
        {
            for (var x = radius * 2; x < width - radius * 2; x++)
            {
                var v = frame[y * width + x];
                if (v < 150 || found.Any(f => Math.Abs(f.X - x) < radius * 2 && Math.Abs(f.Y - y) < radius * 2))
                {
                    continue;
                }

                found.Add(Centroid(frame, width, height, (x, y), radius));
            }
        }

        return found;
    }

    private static (double X, double Y) Centroid(byte[] frame, int width, int height, (double X, double Y) guess, int radius)
    {
        // Two passes: re-centre the window on the first estimate so the window's edge does not bias the second.
        for (var pass = 0; pass < 2; pass++)
        {
            double sum = 0, sx = 0, sy = 0;
            var cx = (int)Math.Round(guess.X);
            var cy = (int)Math.Round(guess.Y);
            for (var y = Math.Max(0, cy - radius); y <= Math.Min(height - 1, cy + radius); y++)
            {
                for (var x = Math.Max(0, cx - radius); x <= Math.Min(width - 1, cx + radius); x++)
                {
                    var w = frame[y * width + x] - 40.0;
                    if (w > 0)
                    {
                        sum += w;
                        sx += w * (x + 0.5);
                        sy += w * (y + 0.5);
                    }
                }
            }

            guess = sum > 0 ? (sx / sum, sy / sum) : guess;
        }

        return guess;
    }

    private static double WindowedQuadraticRms(double[] values)
    {
        double squares = 0;
        var count = 0;
        for (var start = 0; start + Window <= values.Length; start++)
        {
            var window = values.AsSpan(start, Window);
            var (a, b, c) = FitQuadratic(window);
            for (var i = 0; i < Window; i++)
            {
                var r = window[i] - (a + b * i + c * i * i);
                squares += r * r;
                count++;
            }
        }

        return Math.Sqrt(squares / count);
    }

    private static (double A, double B, double C) FitQuadratic(ReadOnlySpan<double> y)
    {
        // Least squares for y = a + b t + c t²: normal equations M·[a b c] = v, solved by Gaussian elimination.
        var m = new double[3, 4];
        for (var i = 0; i < y.Length; i++)
        {
            double[] basis = [1, i, (double)i * i];
            for (var r = 0; r < 3; r++)
            {
                for (var c = 0; c < 3; c++)
                {
                    m[r, c] += basis[r] * basis[c];
                }

                m[r, 3] += basis[r] * y[i];
            }
        }

        for (var pivot = 0; pivot < 3; pivot++)
        {
            for (var r = pivot + 1; r < 3; r++)
            {
                var f = m[r, pivot] / m[pivot, pivot];
                for (var c = pivot; c < 4; c++)
                {
                    m[r, c] -= f * m[pivot, c];
                }
            }
        }

        var cq = m[2, 3] / m[2, 2];
        var b = (m[1, 3] - m[1, 2] * cq) / m[1, 1];
        var a = (m[0, 3] - m[0, 1] * b - m[0, 2] * cq) / m[0, 0];
        return (a, b, cq);
    }
}
