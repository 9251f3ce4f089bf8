using System.Runtime.CompilerServices;

namespace SatsMotion.Video.Motion;

/// <summary>
/// RGBA (opaque) to planar YUV 4:2:0, BT.709 limited range, the layout ffmpeg's libx264 wants. Doing it here
/// lets the conversion run beside the encoder instead of inside it, and pipes 1.5 bytes a pixel instead of 4.
/// </summary>
public static class I420Converter
{
    // BT.709 coefficients scaled to limited range (Y 16..235, C 16..240), in 16.16 fixed point.
    private const int YR = 11966, YG = 40254, YB = 4064;
    private const int UR = -6596, UG = -22189, UB = 28785;
    private const int VR = 28785, VG = -26148, VB = -2637;

    public static void Convert(ReadOnlySpan<byte> rgba, int width, int height, Span<byte> i420)
    {
        if (width % 2 != 0 || height % 2 != 0)
        {
            throw new ArgumentException("width and height must be even for 4:2:0");
        }

        var ySize = width * height;
        var cSize = ySize / 4;
        var yPlane = i420[..ySize];
        var uPlane = i420.Slice(ySize, cSize);
        var vPlane = i420.Slice(ySize + cSize, cSize);
        var stride = width * 4;
        for (var row = 0; row < height; row += 2)
        {
            var top = rgba.Slice(row * stride, stride);
            var bottom = rgba.Slice((row + 1) * stride, stride);
            var yTop = yPlane.Slice(row * width, width);
            var yBottom = yPlane.Slice((row + 1) * width, width);
            var cRow = row / 2 * (width / 2);
            for (var x = 0; x < width; x += 2)
            {
                var p = x * 4;
                int r0 = top[p], g0 = top[p + 1], b0 = top[p + 2];
                int r1 = top[p + 4], g1 = top[p + 5], b1 = top[p + 6];
                int r2 = bottom[p], g2 = bottom[p + 1], b2 = bottom[p + 2];
                int r3 = bottom[p + 4], g3 = bottom[p + 5], b3 = bottom[p + 6];
                yTop[x] = Luma(r0, g0, b0);
                yTop[x + 1] = Luma(r1, g1, b1);
                yBottom[x] = Luma(r2, g2, b2);
                yBottom[x + 1] = Luma(r3, g3, b3);
                int r = r0 + r1 + r2 + r3, g = g0 + g1 + g2 + g3, b = b0 + b1 + b2 + b3;
                uPlane[cRow + x / 2] = ChromaU(r, g, b);
                vPlane[cRow + x / 2] = ChromaV(r, g, b);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte Luma(int r, int g, int b) => (byte)((YR * r + YG * g + YB * b + (16 << 16) + (1 << 15)) >> 16);

    /// <summary>Cb from the sums of four pixels' R, G and B (a 2x2 block).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte ChromaU(int r4, int g4, int b4) => (byte)((UR * r4 + UG * g4 + UB * b4 + (128 << 18) + (1 << 17)) >> 18);

    /// <summary>Cr from the sums of four pixels' R, G and B (a 2x2 block).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte ChromaV(int r4, int g4, int b4) => (byte)((VR * r4 + VG * g4 + VB * b4 + (128 << 18) + (1 << 17)) >> 18);
}
