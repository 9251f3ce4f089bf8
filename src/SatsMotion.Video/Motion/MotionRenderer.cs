using SkiaSharp;

namespace SatsMotion.Video.Motion;

/// <summary>
/// Renders the frames of a camera move over a still. The source is resampled once (high quality) to a working
/// size where the widest crop maps 1:1 onto the output; each frame is then a bilinear, sub-pixel sample of that
/// image, so frames are never minified (no aliasing) and the camera never steps by whole pixels.
/// </summary>
public sealed class MotionRenderer : IDisposable
{
    private const int PreparationBands = 2;
    private readonly SKImage _working;
    private readonly CameraMove _move;
    private readonly int _frameCount;
    private readonly double _baseWidth;
    private readonly double _baseHeight;
    private readonly PlanarImage _planes;
    private readonly PlaneResampler _lumaResampler;
    private readonly PlaneResampler _chromaResampler;

    public MotionRenderer(SKBitmap source, OutputFrame frame, CameraMove move, int frameCount)
    {
        if (frameCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(frameCount));
        }

        Frame = frame;
        _move = move;
        _frameCount = frameCount;

        // The largest rectangle of the output's aspect that fits in the source ("cover" crop at zoom 1).
        var outAspect = (double)frame.Width / frame.Height;
        var (baseWidth, baseHeight) = (double)source.Width / source.Height > outAspect
            ? (source.Height * outAspect, (double)source.Height)
            : (source.Width, source.Width / outAspect);
        _working = PrepareWorkingImage(source, Math.Min(1.0, frame.Width / baseWidth));
        _baseWidth = Math.Min(_working.Width, baseWidth * _working.Width / source.Width);
        _baseHeight = Math.Min(_working.Height, baseHeight * _working.Height / source.Height);
        using (var pixels = _working.PeekPixels())
        {
            _planes = PlanarImage.FromRgba(pixels.GetPixelSpan(), _working.Width, _working.Height);
        }

        _lumaResampler = new PlaneResampler(frame.Width, frame.Height);
        _chromaResampler = new PlaneResampler(frame.Width / 2, frame.Height / 2);
    }

    public OutputFrame Frame { get; }

    /// <summary>The crop rectangle of frame <paramref name="index"/> in working-image pixels.</summary>
    public SKRect CropAt(int index)
    {
        var (left, top, width, height) = Crop(index);
        return new SKRect((float)left, (float)top, (float)(left + width), (float)(top + height));
    }

    /// <summary>Writes frame <paramref name="index"/> as I420 (Y, then U, then V planes).</summary>
    public void RenderI420(int index, Span<byte> i420)
    {
        var (left, top, width, _) = Crop(index);
        var step = width / Frame.Width;
        var lumaSize = Frame.Width * Frame.Height;
        var chromaSize = lumaSize / 4;

        // Output pixel x covers [x, x+1) in output space; its centre maps to left + (x + 0.5)·step in working
        // space, which is position (… - 0.5) between working pixel centres. Chroma samples sit at the centre of
        // each 2x2 luma block, on planes of half the resolution.
        _lumaResampler.Resample(_planes.Y, left + 0.5 * step - 0.5, top + 0.5 * step - 0.5, step, i420[..lumaSize]);
        var chromaX = (left + step) / 2 - 0.5;
        var chromaY = (top + step) / 2 - 0.5;
        _chromaResampler.Resample(_planes.U, chromaX, chromaY, step, i420.Slice(lumaSize, chromaSize));
        _chromaResampler.Resample(_planes.V, chromaX, chromaY, step, i420.Slice(lumaSize + chromaSize, chromaSize));
    }

    /// <summary>Draws frame <paramref name="index"/> as an RGBA bitmap (for the poster); the caller disposes it.</summary>
    public SKBitmap RenderRgba(int index)
    {
        var (left, top, width, _) = Crop(index);
        var scale = Frame.Width / width;

        // Matrix kept in double until the end: float rounding of large offsets would itself cause jitter.
        var matrix = new SKMatrix((float)scale, 0, (float)(-left * scale), 0, (float)scale, (float)(-top * scale), 0, 0, 1);
        var target = new SKBitmap(new SKImageInfo(Frame.Width, Frame.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(target);
        using var shader = _working.ToShader(SKShaderTileMode.Clamp, SKShaderTileMode.Clamp, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None), matrix);
        using var paint = new SKPaint { Shader = shader, BlendMode = SKBlendMode.Src };
        canvas.DrawRect(0, 0, Frame.Width, Frame.Height, paint);
        return target;
    }

    private (double Left, double Top, double Width, double Height) Crop(int index)
    {
        var pose = _move.At(_frameCount == 1 ? 0 : (double)index / (_frameCount - 1));
        var width = _baseWidth / pose.Zoom;
        var height = _baseHeight / pose.Zoom;
        var roomX = (_working.Width - width) / 2;
        var roomY = (_working.Height - height) / 2;
        return (roomX + pose.OffsetX * roomX, roomY + pose.OffsetY * roomY, width, height);
    }

    public void Dispose() => _working.Dispose();

    private static SKImage PrepareWorkingImage(SKBitmap source, double scale)
    {
        // Opaque working copy: transparent areas of the source become black, as they will in the video.
        var width = Math.Max(1, (int)Math.Round(source.Width * scale));
        var height = Math.Max(1, (int)Math.Round(source.Height * scale));
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var bitmap = new SKBitmap(info);
        using var image = SKImage.FromBitmap(source);

        // Strong reductions average over mip levels; mild ones use a cubic filter, which keeps detail.
        var sampling = scale < 0.5
            ? new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear)
            : scale < 1 ? new SKSamplingOptions(SKCubicResampler.Mitchell) : new SKSamplingOptions(SKFilterMode.Nearest);

        // Horizontal bands drawn at once: this runs while ffmpeg is still starting, so the other cores are idle.
        // Each output pixel is computed the same way whichever band draws it.
        Parallel.For(0, PreparationBands, band =>
        {
            using var canvas = new SKCanvas(bitmap);
            using var paint = new SKPaint { BlendMode = SKBlendMode.SrcOver };
            canvas.ClipRect(new SKRect(0, height * band / PreparationBands, width, height * (band + 1) / PreparationBands));
            canvas.Clear(SKColors.Black);
            canvas.DrawImage(image, new SKRect(0, 0, width, height), sampling, paint);
        });

        return SKImage.FromPixelCopy(bitmap.PeekPixels());
    }
}
