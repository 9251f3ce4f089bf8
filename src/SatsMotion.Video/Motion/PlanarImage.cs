namespace SatsMotion.Video.Motion;

/// <summary>One 8-bit plane (luma or a chroma channel) with its size.</summary>
public sealed record Plane(byte[] Pixels, int Width, int Height);

/// <summary>
/// The working image as full-resolution luma and half-resolution chroma (BT.709, limited range). Resampling is
/// linear, so sampling these planes equals sampling RGB and converting, at a third of the work per pixel.
/// </summary>
public sealed record PlanarImage(Plane Y, Plane U, Plane V)
{
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static PlanarImage FromRgba(ReadOnlySpan<byte> rgba, int width, int height)
    {
        var y = new byte[width * height];
        var cw = (width + 1) / 2;
        var ch = (height + 1) / 2;
        var u = new byte[cw * ch];
        var v = new byte[cw * ch];
        for (var row = 0; row < height; row++)
        {
            var line = rgba.Slice(row * width * 4, width * 4);
            for (var x = 0; x < width; x++)
            {
                y[row * width + x] = Bt709.Luma(line[x * 4], line[x * 4 + 1], line[x * 4 + 2]);
            }
        }

        // Each chroma sample averages its 2x2 block; odd edges repeat the last row or column.
        for (var cy = 0; cy < ch; cy++)
        {
            var r0 = rgba.Slice(2 * cy * width * 4, width * 4);
            var r1 = rgba.Slice(Math.Min(2 * cy + 1, height - 1) * width * 4, width * 4);
            for (var cx = 0; cx < cw; cx++)
            {
                var a = cx * 8;
                var b = Math.Min(cx * 2 + 1, width - 1) * 4;
                var r = r0[a] + r0[b] + r1[a] + r1[b];
                var g = r0[a + 1] + r0[b + 1] + r1[a + 1] + r1[b + 1];
                var bl = r0[a + 2] + r0[b + 2] + r1[a + 2] + r1[b + 2];
                u[cy * cw + cx] = Bt709.ChromaU(r, g, bl);
                v[cy * cw + cx] = Bt709.ChromaV(r, g, bl);
            }
        }

        return new PlanarImage(new Plane(y, width, height), new Plane(u, cw, ch), new Plane(v, cw, ch));
    }
}
