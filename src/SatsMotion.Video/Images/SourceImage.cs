using SkiaSharp;

namespace SatsMotion.Video.Images;

/// <summary>
/// A decoded still, upright (EXIF orientation applied), premultiplied RGBA. OriginalWidth/Height are the
/// upright size of the file, which may be larger than Bitmap when it was decoded at a reduced scale.
/// </summary>
public sealed class SourceImage(SKBitmap bitmap, int originalWidth, int originalHeight, string format, bool wasAnimated) : IDisposable
{
    public SKBitmap Bitmap { get; } = bitmap;

    public int OriginalWidth { get; } = originalWidth;

    public int OriginalHeight { get; } = originalHeight;

    public string Format { get; } = format;

    public bool WasAnimated { get; } = wasAnimated;

    public void Dispose() => Bitmap.Dispose();
}
