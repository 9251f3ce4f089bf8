using SkiaSharp;

namespace SatsMotion.Testing;

/// <summary>Synthetic images for tests: gradients with detail, and dark fields of small Gaussian blobs.</summary>
public static class TestImages
{
    public static SKBitmap Gradient(int width, int height)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        using var paint = new SKPaint
        {
            Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(width, height), [SKColors.OrangeRed, SKColors.MidnightBlue, SKColors.Gold], SKShaderTileMode.Clamp),
        };
        canvas.DrawRect(0, 0, width, height, paint);
        using var stroke = new SKPaint { Color = SKColors.White, StrokeWidth = Math.Max(1, width / 200f), IsStroke = true, IsAntialias = true };
        for (var i = 1; i < 8; i++)
        {
            canvas.DrawCircle(width / 2f, height / 2f, Math.Min(width, height) * i / 16f, stroke);
        }

        return bitmap;
    }

    /// <summary>Bright Gaussian blobs (σ in source pixels) on a dark field, drawn analytically so centres are exact.</summary>
    public static SKBitmap Blobs(int width, int height, IReadOnlyList<(double X, double Y)> centres, double sigma)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var pixels = new byte[width * height * 4];
        var field = new double[width * height];
        var reach = (int)Math.Ceiling(sigma * 5);
        foreach (var (cx, cy) in centres)
        {
            for (var y = Math.Max(0, (int)cy - reach); y < Math.Min(height, (int)cy + reach); y++)
            {
                for (var x = Math.Max(0, (int)cx - reach); x < Math.Min(width, (int)cx + reach); x++)
                {
                    var dx = x + 0.5 - cx;
                    var dy = y + 0.5 - cy;
                    field[y * width + x] += Math.Exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
                }
            }
        }

        for (var i = 0; i < field.Length; i++)
        {
            var v = (byte)Math.Clamp(Math.Round(20 + 215 * field[i]), 0, 255);
            pixels[i * 4] = v;
            pixels[i * 4 + 1] = v;
            pixels[i * 4 + 2] = v;
            pixels[i * 4 + 3] = 255;
        }

        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        return bitmap;
    }

    /// <summary>A small real PNG whose header claims another size (IHDR patched, CRC fixed): a decompression bomb's shape.</summary>
    public static byte[] PngClaimingSize(int width, int height)
    {
        using var bitmap = Gradient(16, 16);
        var png = Encode(bitmap, SKEncodedImageFormat.Png);

        // IHDR data starts at byte 16 (signature 8, length 4, type 4); its CRC covers type and data.
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), height);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), System.IO.Hashing.Crc32.HashToUInt32(png.AsSpan(12, 17)));
        return png;
    }

    public static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format, int quality = 90)
    {
        using var data = bitmap.Encode(format, quality) ?? throw new InvalidOperationException($"Skia cannot encode {format}");
        return data.ToArray();
    }
}
