using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SatsMotion.Video.Motion;

/// <summary>
/// Bilinear resampling of one plane under a scale + translation (the only transforms a camera move needs),
/// done separably: each output row blends two source rows, then each output pixel blends two columns.
/// Column weights carry 12 fractional bits and row weights 8 (so the row blend fits 16-bit SIMD lanes):
/// positions are exact to 1/4096 px across and 1/256 px down, far below what the eye or the encoder resolves.
/// </summary>
public sealed class PlaneResampler(int outputWidth, int outputHeight, ColumnKernel kernel = ColumnKernel.Fastest)
{
    private const int One = 1 << 12;
    private const int RowOne = 1 << 8;
    private readonly int[] _columns = new int[outputWidth];
    private readonly int[] _columnWeights = new int[outputWidth];
    private readonly int[] _rows = new int[outputHeight];
    private readonly int[] _rowWeights = new int[outputHeight];
    private readonly ushort[] _blockOffsets = new ushort[outputWidth];
    private ushort[] _blendedRow = [];
    private bool _permutable;

    /// <summary>
    /// Writes the output plane whose pixel (x, y) shows source position (originX + x·step, originY + y·step),
    /// positions measured between pixel centres. Samples past the edge repeat the edge.
    /// </summary>
    public void Resample(Plane source, double originX, double originY, double step, Span<byte> output)
    {
        Taps(originX, step, source.Width, One, _columns, _columnWeights);
        Taps(originY, step, source.Height, RowOne, _rows, _rowWeights);
        var first = _columns[0];
        var span = _columns[^1] + 2 - first;
        if (_blendedRow.Length < span + BlockSources)
        {
            // Padding: a block's two 32-wide source loads may reach past the last column actually used.
            _blendedRow = new ushort[span + BlockSources];
        }

        _permutable = kernel == ColumnKernel.Fastest && Avx512BW.IsSupported && BuildBlockOffsets();

        var pixels = source.Pixels;
        var blended = _blendedRow.AsSpan(0, span);
        for (var y = 0; y < outputHeight; y++)
        {
            var top = pixels.AsSpan(_rows[y] * source.Width + first, span);
            var bottom = pixels.AsSpan(Math.Min(_rows[y] + 1, source.Height - 1) * source.Width + first, span);
            BlendRows(top, bottom, _rowWeights[y], blended);
            BlendColumns(blended, first, output.Slice(y * outputWidth, outputWidth));
        }
    }

    // blended = top·(256-w) + bottom·w: 8 bits of value, 8 of fraction, 16 lanes at a time.
    // AggressiveOptimization: the hot loops start fully optimized instead of waiting for tiered JIT.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BlendRows(ReadOnlySpan<byte> top, ReadOnlySpan<byte> bottom, int weight, Span<ushort> blended)
    {
        var keep = (ushort)(RowOne - weight);
        var take = (ushort)weight;
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var keepVector = new Vector<ushort>(keep);
            var takeVector = new Vector<ushort>(take);
            for (; i <= top.Length - Vector<byte>.Count; i += Vector<byte>.Count)
            {
                Vector.Widen(new Vector<byte>(top[i..]), out var topLow, out var topHigh);
                Vector.Widen(new Vector<byte>(bottom[i..]), out var bottomLow, out var bottomHigh);
                (topLow * keepVector + bottomLow * takeVector).CopyTo(blended[i..]);
                (topHigh * keepVector + bottomHigh * takeVector).CopyTo(blended[(i + Vector<ushort>.Count)..]);
            }
        }

        for (; i < top.Length; i++)
        {
            blended[i] = (ushort)(top[i] * keep + bottom[i] * take);
        }
    }

    // Output pixels are taken 32 at a time. The camera never minifies (step <= 1), so 32 neighbouring outputs read
    // at most 33 neighbouring sources: two permutes of 64 loaded values replace eight gathers.
    private const int Block = 32;
    private const int BlockSources = 2 * Block;

    /// <summary>Each column's offset from its block's first column; false when some block spreads too wide.</summary>
    private bool BuildBlockOffsets()
    {
        for (var x = 0; x + Block <= _columns.Length; x += Block)
        {
            for (var i = 0; i < Block; i++)
            {
                var offset = _columns[x + i] - _columns[x];
                if (offset > BlockSources - 2)
                {
                    return false;
                }

                _blockOffsets[x + i] = (ushort)offset;
            }
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void BlendColumns(ReadOnlySpan<ushort> blended, int first, Span<byte> line)
    {
        if (_permutable)
        {
            BlendColumnsByPermute(blended, first, line);
        }
        else
        {
            BlendColumnsByGather(blended, first, line);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void BlendColumnsByPermute(ReadOnlySpan<ushort> blended, int first, Span<byte> line)
    {
        ref var row = ref MemoryMarshal.GetReference(blended);
        ref var offsets = ref MemoryMarshal.GetArrayDataReference(_blockOffsets);
        ref var weights = ref MemoryMarshal.GetArrayDataReference(_columnWeights);
        ref var output = ref MemoryMarshal.GetReference(line);
        var one = Vector512.Create((uint)One);
        var half = Vector512.Create(1u << 19);
        var x = 0;
        for (; x <= line.Length - Block; x += Block)
        {
            var start = (nuint)(_columns[x] - first);
            var low = Vector512.LoadUnsafe(ref row, start);
            var high = Vector512.LoadUnsafe(ref row, start + Block);
            var offset = Vector512.LoadUnsafe(ref offsets, (nuint)x);
            var (left0, left1) = Vector512.Widen(Avx512BW.PermuteVar32x16x2(low, offset, high));
            var (right0, right1) = Vector512.Widen(Avx512BW.PermuteVar32x16x2(low, offset + Vector512<ushort>.One, high));
            var weight0 = Vector512.LoadUnsafe(ref weights, (nuint)x).AsUInt32();
            var weight1 = Vector512.LoadUnsafe(ref weights, (nuint)x + 16).AsUInt32();
            var sum0 = (left0 * (one - weight0) + right0 * weight0 + half) >> 20;
            var sum1 = (left1 * (one - weight1) + right1 * weight1 + half) >> 20;
            Avx512BW.ConvertToVector256Byte(Vector512.Narrow(sum0, sum1)).StoreUnsafe(ref output, (nuint)x);
        }

        BlendColumnsScalar(blended, first, line, x);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void BlendColumnsByGather(ReadOnlySpan<ushort> blended, int first, Span<byte> line)
    {
        ref var output = ref MemoryMarshal.GetReference(line);
        var x = 0;
        if (kernel != ColumnKernel.Scalar && Avx2.IsSupported)
        {
            fixed (ushort* rowPointer = blended)
            fixed (int* columnPointer = _columns)
            fixed (int* weightPointer = _columnWeights)
            {
                for (; x <= line.Length - 32; x += 32)
                {
                    var a = Lerp8(rowPointer, columnPointer + x, weightPointer + x, first);
                    var b = Lerp8(rowPointer, columnPointer + x + 8, weightPointer + x + 8, first);
                    var c = Lerp8(rowPointer, columnPointer + x + 16, weightPointer + x + 16, first);
                    var d = Lerp8(rowPointer, columnPointer + x + 24, weightPointer + x + 24, first);
                    Vector256.Narrow(Vector256.Narrow(a, b).AsUInt16(), Vector256.Narrow(c, d).AsUInt16()).StoreUnsafe(ref output, (nuint)x);
                }
            }
        }

        BlendColumnsScalar(blended, first, line, x);
    }

    private void BlendColumnsScalar(ReadOnlySpan<ushort> blended, int first, Span<byte> line, int x)
    {
        // The taps were built inside the blended span; skip bounds checks in the hottest loop.
        ref var columns = ref MemoryMarshal.GetArrayDataReference(_columns);
        ref var weights = ref MemoryMarshal.GetArrayDataReference(_columnWeights);
        ref var row = ref MemoryMarshal.GetReference(blended);
        ref var output = ref MemoryMarshal.GetReference(line);
        for (; x < line.Length; x++)
        {
            var c = Unsafe.Add(ref columns, x) - first;
            var w = Unsafe.Add(ref weights, x);
            Unsafe.Add(ref output, x) = (byte)((Unsafe.Add(ref row, c) * (One - w) + Unsafe.Add(ref row, c + 1) * w + (1 << 19)) >> 20);
        }
    }

    // One 32-bit gather at ushort offset c reads the pair (blended[c], blended[c+1]) at once.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<int> Lerp8(ushort* row, int* columns, int* weights, int first)
    {
        var index = Vector256.Load(columns) - Vector256.Create(first);
        var weight = Vector256.Load(weights);
        var pair = Avx2.GatherVector256((int*)row, index, 2);
        var left = pair & Vector256.Create(0xFFFF);
        var right = Vector256.ShiftRightLogical(pair, 16);
        return Vector256.ShiftRightArithmetic(left * (Vector256.Create(One) - weight) + right * weight + Vector256.Create(1 << 19), 20);
    }

    private static void Taps(double origin, double step, int sourceLength, int one, int[] index, int[] weight)
    {
        for (var i = 0; i < index.Length; i++)
        {
            var position = Math.Clamp(origin + i * step, 0, sourceLength - 1);
            var whole = Math.Min((int)position, Math.Max(0, sourceLength - 2));
            index[i] = whole;
            weight[i] = sourceLength == 1 ? 0 : (int)Math.Round((position - whole) * one);
        }
    }
}

/// <summary>
/// How output columns are blended: the fastest the CPU offers (AVX-512 permutes, else AVX2 gathers, else scalar),
/// or a named slower one. All give the same bytes; tests hold them to that.
/// </summary>
public enum ColumnKernel
{
    Fastest,
    Gather,
    Scalar,
}
