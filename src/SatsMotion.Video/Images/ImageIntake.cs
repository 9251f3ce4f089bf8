using SkiaSharp;

namespace SatsMotion.Video.Images;

/// <summary>
/// Turns uploaded bytes into an upright bitmap, refusing what is not a supported still before paying for
/// a full decode: the size limits are read from the header, so decompression bombs never allocate.
/// </summary>
public static class ImageIntake
{
    public const int MaxSide = 8192;
    public const long MaxPixels = 40_000_000;

    private const string NotAnImage = "image is not a decodable PNG, JPEG, WebP, GIF or BMP";

    private static readonly Dictionary<SKEncodedImageFormat, string> Supported = new()
    {
        [SKEncodedImageFormat.Png] = "png",
        [SKEncodedImageFormat.Jpeg] = "jpeg",
        [SKEncodedImageFormat.Webp] = "webp",
        [SKEncodedImageFormat.Gif] = "gif",
        [SKEncodedImageFormat.Bmp] = "bmp",
    };

    /// <summary>
    /// Decodes the first frame. With <paramref name="minShortSide"/>, formats that can (JPEG) decode at the
    /// smallest reduced scale whose shorter side is still that long, which saves memory and time for big photos.
    /// </summary>
    public static SourceImage Decode(ReadOnlySpan<byte> bytes, int? minShortSide = null)
    {
        if (bytes.IsEmpty)
        {
            throw new ImageRejectedException("image is empty");
        }

        var sniffed = ImageSignature.Sniff(bytes) ?? throw new ImageRejectedException(NotAnImage);
        if (ImageSignature.DeclaresZeroSize(sniffed, bytes))
        {
            throw new ImageRejectedException("image has zero size");
        }

        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(new SKMemoryStream(data), out var createResult);
        if (codec is null)
        {
            throw new ImageRejectedException(createResult == SKCodecResult.IncompleteInput
                ? "image data is truncated"
                : $"image looks like {sniffed} but its header is corrupt");
        }

        if (!Supported.TryGetValue(codec.EncodedFormat, out var format))
        {
            throw new ImageRejectedException($"image format {codec.EncodedFormat} is not supported; use PNG, JPEG, WebP, GIF or BMP");
        }

        var info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0)
        {
            throw new ImageRejectedException("image has zero size");
        }

        if (info.Width > MaxSide || info.Height > MaxSide)
        {
            throw new ImageRejectedException($"image is {info.Width}x{info.Height}; at most {MaxSide} px on a side");
        }

        if ((long)info.Width * info.Height > MaxPixels)
        {
            throw new ImageRejectedException($"image has {(long)info.Width * info.Height / 1_000_000.0:F1} megapixels; at most {MaxPixels / 1_000_000} allowed");
        }

        var decodeSize = ChooseDecodeSize(codec, minShortSide);
        var decodeInfo = new SKImageInfo(decodeSize.Width, decodeSize.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        var bitmap = new SKBitmap(decodeInfo);
        try
        {
            // Frame 0 only: an animated GIF or WebP is used as its first frame.
            var result = codec.GetPixels(decodeInfo, bitmap.GetPixels(), new SKCodecOptions(0));
            if (result == SKCodecResult.IncompleteInput || result == SKCodecResult.ErrorInInput)
            {
                throw new ImageRejectedException("image data is truncated or corrupt");
            }

            if (result != SKCodecResult.Success)
            {
                throw new ImageRejectedException($"image could not be decoded ({result})");
            }

            var upright = ApplyOrigin(bitmap, codec.EncodedOrigin);
            var swaps = SwapsAxes(codec.EncodedOrigin);
            return new SourceImage(upright, swaps ? info.Height : info.Width, swaps ? info.Width : info.Height, format, codec.FrameCount > 1);
        }
        catch
        {
            bitmap.Dispose();
            throw;
        }
    }

    private static SKSizeI ChooseDecodeSize(SKCodec codec, int? minShortSide)
    {
        var full = codec.Info.Size;
        if (minShortSide is not { } limit || Math.Min(full.Width, full.Height) <= limit)
        {
            return full;
        }

        // Codecs support only some scales (JPEG: eighths); take the smallest that keeps the short side long enough.
        for (var eighths = 1; eighths < 8; eighths++)
        {
            var scaled = codec.GetScaledDimensions(eighths / 8f);
            if (Math.Min(scaled.Width, scaled.Height) >= limit)
            {
                return scaled;
            }
        }

        return full;
    }

    private static bool SwapsAxes(SKEncodedOrigin origin) =>
        origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;

    private static SKBitmap ApplyOrigin(SKBitmap bitmap, SKEncodedOrigin origin)
    {
        if (origin == SKEncodedOrigin.TopLeft)
        {
            return bitmap;
        }

        var swaps = SwapsAxes(origin);
        var width = swaps ? bitmap.Height : bitmap.Width;
        var height = swaps ? bitmap.Width : bitmap.Height;
        var upright = new SKBitmap(new SKImageInfo(width, height, bitmap.ColorType, bitmap.AlphaType));
        using (var canvas = new SKCanvas(upright))
        {
            canvas.SetMatrix(OriginMatrix(origin, bitmap.Width, bitmap.Height));
            using var image = SKImage.FromBitmap(bitmap);
            canvas.DrawImage(image, 0, 0, new SKSamplingOptions(SKFilterMode.Nearest));
        }

        bitmap.Dispose();
        return upright;
    }

    // Maps the stored pixels to upright ones, per the EXIF orientation tag (1..8).
    private static SKMatrix OriginMatrix(SKEncodedOrigin origin, int w, int h) => origin switch
    {
        SKEncodedOrigin.TopRight => new SKMatrix(-1, 0, w, 0, 1, 0, 0, 0, 1),
        SKEncodedOrigin.BottomRight => new SKMatrix(-1, 0, w, 0, -1, h, 0, 0, 1),
        SKEncodedOrigin.BottomLeft => new SKMatrix(1, 0, 0, 0, -1, h, 0, 0, 1),
        SKEncodedOrigin.LeftTop => new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1),
        SKEncodedOrigin.RightTop => new SKMatrix(0, -1, h, 1, 0, 0, 0, 0, 1),
        SKEncodedOrigin.RightBottom => new SKMatrix(0, -1, h, -1, 0, w, 0, 0, 1),
        SKEncodedOrigin.LeftBottom => new SKMatrix(0, 1, 0, -1, 0, w, 0, 0, 1),
        _ => SKMatrix.Identity,
    };
}
