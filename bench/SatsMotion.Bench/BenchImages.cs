using SatsMotion.Testing;
using SkiaSharp;

namespace SatsMotion.Bench;

/// <summary>A photo-like still (gradients, shapes, fine texture) so that encode speed and size are realistic.</summary>
public static class BenchImages
{
    public static readonly (double, double)[] BlobCentres = [(400, 300), (1500, 250), (300, 800), (1620, 860), (1100, 700), (700, 520)];

    public static SKBitmap Photo(int width, int height)
    {
        var bitmap = TestImages.Gradient(width, height);
        using var canvas = new SKCanvas(bitmap);
        var random = new Random(1920);
        using var paint = new SKPaint { IsAntialias = true };
        for (var i = 0; i < 400; i++)
        {
            paint.Color = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(40, 160));
            canvas.DrawCircle(random.Next(width), random.Next(height), random.Next(4, Math.Max(5, width / 12)), paint);
        }

        // Fine grain, like sensor noise, so the encoder has real detail to spend bits on.
        using var noise = SKShader.CreatePerlinNoiseTurbulence(0.8f, 0.8f, 2, 7);
        using var grain = new SKPaint { Shader = noise, Color = SKColors.White.WithAlpha(40), BlendMode = SKBlendMode.Overlay };
        canvas.DrawRect(0, 0, width, height, grain);
        return bitmap;
    }
}
