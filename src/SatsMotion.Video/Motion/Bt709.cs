using System.Runtime.CompilerServices;

namespace SatsMotion.Video.Motion;

/// <summary>RGB to Y'CbCr by BT.709 in limited range (Y 16..235, C 16..240), the colours the encoder is told.</summary>
public static class Bt709
{
    // Coefficients scaled to limited range, 16.16 fixed point.
    private const int YR = 11966, YG = 40254, YB = 4064;
    private const int UR = -6596, UG = -22189, UB = 28785;
    private const int VR = 28785, VG = -26148, VB = -2637;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte Luma(int r, int g, int b) => (byte)((YR * r + YG * g + YB * b + (16 << 16) + (1 << 15)) >> 16);

    /// <summary>Cb from the sums of four pixels' R, G and B (a 2x2 block).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte ChromaU(int r4, int g4, int b4) => (byte)((UR * r4 + UG * g4 + UB * b4 + (128 << 18) + (1 << 17)) >> 18);

    /// <summary>Cr from the sums of four pixels' R, G and B (a 2x2 block).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte ChromaV(int r4, int g4, int b4) => (byte)((VR * r4 + VG * g4 + VB * b4 + (128 << 18) + (1 << 17)) >> 18);
}
