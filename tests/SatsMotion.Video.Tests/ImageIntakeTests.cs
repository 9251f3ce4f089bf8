using System.Buffers.Binary;
using SatsMotion.Testing;
using SatsMotion.Video.Images;
using SkiaSharp;

namespace SatsMotion.Video.Tests;

public class ImageIntakeTests
{
    [Theory]
    [InlineData(SKEncodedImageFormat.Png, "png")]
    [InlineData(SKEncodedImageFormat.Jpeg, "jpeg")]
    [InlineData(SKEncodedImageFormat.Webp, "webp")]
    public void Decodes_common_formats(SKEncodedImageFormat format, string name)
    {
        using var bitmap = TestImages.Gradient(320, 200);
        using var image = ImageIntake.Decode(TestImages.Encode(bitmap, format));
        Assert.Equal(name, image.Format);
        Assert.Equal((320, 200), (image.Bitmap.Width, image.Bitmap.Height));
        Assert.False(image.WasAnimated);
    }

    [Fact]
    public void Decodes_bmp()
    {
        using var image = ImageIntake.Decode(Bmp(4, 2, (255, 0, 0)));
        Assert.Equal("bmp", image.Format);
        Assert.Equal((4, 2), (image.Bitmap.Width, image.Bitmap.Height));
        Assert.Equal(new SKColor(255, 0, 0), image.Bitmap.GetPixel(1, 1));
    }

    [Fact]
    public void Animated_gif_is_used_as_its_first_frame()
    {
        using var image = ImageIntake.Decode(TwoFrameGif());
        Assert.Equal("gif", image.Format);
        Assert.True(image.WasAnimated);
        Assert.Equal(new SKColor(255, 0, 0), image.Bitmap.GetPixel(0, 0));
    }

    [Theory]
    [InlineData(6, 200, 320)]
    [InlineData(8, 200, 320)]
    [InlineData(3, 320, 200)]
    public void Exif_orientation_is_applied(int orientation, int width, int height)
    {
        using var bitmap = TestImages.Gradient(320, 200);
        using var marked = new SKBitmap(bitmap.Info);
        bitmap.CopyTo(marked);
        using (var canvas = new SKCanvas(marked))
        {
            canvas.DrawRect(0, 0, 40, 40, new SKPaint { Color = SKColors.Lime });
        }

        using var image = ImageIntake.Decode(WithExifOrientation(TestImages.Encode(marked, SKEncodedImageFormat.Jpeg, 95), orientation));
        Assert.Equal((width, height), (image.Bitmap.Width, image.Bitmap.Height));
        Assert.Equal((width, height), (image.OriginalWidth, image.OriginalHeight));

        // The green corner of the stored image moves where the orientation puts it.
        var (x, y) = orientation switch { 6 => (width - 10, 10), 8 => (10, height - 10), _ => (width - 10, height - 10) };
        var pixel = image.Bitmap.GetPixel(x, y);
        Assert.True(pixel.Green > 200 && pixel.Red < 80, $"expected green at {x},{y}, got {pixel}");
    }

    [Fact]
    public void Large_jpeg_can_be_decoded_at_a_reduced_scale()
    {
        using var bitmap = TestImages.Gradient(4000, 3000);
        using var image = ImageIntake.Decode(TestImages.Encode(bitmap, SKEncodedImageFormat.Jpeg), minShortSide: 720);
        Assert.Equal((1000, 750), (image.Bitmap.Width, image.Bitmap.Height));
        Assert.Equal((4000, 3000), (image.OriginalWidth, image.OriginalHeight));
    }

    [Fact]
    public void Reduced_scale_never_goes_below_the_requested_short_side()
    {
        using var bitmap = TestImages.Gradient(2000, 1000);
        using var image = ImageIntake.Decode(TestImages.Encode(bitmap, SKEncodedImageFormat.Jpeg), minShortSide: 720);
        Assert.True(Math.Min(image.Bitmap.Width, image.Bitmap.Height) >= 720);
        using var png = ImageIntake.Decode(TestImages.Encode(bitmap, SKEncodedImageFormat.Png), minShortSide: 720);
        Assert.Equal((2000, 1000), (png.Bitmap.Width, png.Bitmap.Height));
    }

    [Theory]
    [InlineData(9000, 10, "8192")]
    [InlineData(10, 8193, "8192")]
    [InlineData(7000, 7000, "megapixels")]
    public void Oversized_images_are_refused_from_the_header_alone(int width, int height, string reason)
    {
        // A PNG that claims a huge size: a full decode would need gigabytes, the header check needs none.
        var png = TestImages.PngClaimingSize(width, height);
        var before = GC.GetTotalAllocatedBytes(true);
        var error = Assert.Throws<ImageRejectedException>(() => ImageIntake.Decode(png));
        Assert.Contains(reason, error.Message);
        Assert.True(GC.GetTotalAllocatedBytes(true) - before < 10_000_000, "the refusal allocated like a decode");
    }

    [Fact]
    public void Empty_input_is_refused()
    {
        Assert.Contains("empty", Assert.Throws<ImageRejectedException>(() => ImageIntake.Decode([])).Message);
    }

    [Theory]
    [InlineData("hello, this is not an image at all")]
    [InlineData("<svg xmlns='http://www.w3.org/2000/svg'/>")]
    [InlineData("%PDF-1.7")]
    public void Non_images_are_refused(string text)
    {
        var error = Assert.Throws<ImageRejectedException>(() => ImageIntake.Decode(System.Text.Encoding.UTF8.GetBytes(text)));
        Assert.Contains("not a decodable", error.Message);
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Png)]
    [InlineData(SKEncodedImageFormat.Jpeg)]
    [InlineData(SKEncodedImageFormat.Webp)]
    public void Truncated_images_are_refused(SKEncodedImageFormat format)
    {
        using var bitmap = TestImages.Gradient(320, 200);
        var bytes = TestImages.Encode(bitmap, format);
        var error = Assert.Throws<ImageRejectedException>(() => ImageIntake.Decode(bytes.AsSpan(0, bytes.Length / 2)));
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void Zero_size_image_is_refused()
    {
        var error = Assert.Throws<ImageRejectedException>(() => ImageIntake.Decode(TestImages.PngClaimingSize(0, 10)));
        Assert.Contains("zero size", error.Message);
    }

    private static byte[] WithExifOrientation(byte[] jpeg, int orientation)
    {
        // APP1 "Exif\0\0" + big-endian TIFF header + one IFD entry: tag 0x0112 (orientation), SHORT, count 1.
        byte[] tiff = [(byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte)orientation, 0, 0, 0, 0, 0, 0];
        byte[] exif = [.. "Exif\0\0"u8, .. tiff];
        var length = exif.Length + 2;
        byte[] segment = [0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. exif];
        return [jpeg[0], jpeg[1], .. segment, .. jpeg.AsSpan(2)];
    }

    private static byte[] Bmp(int width, int height, (byte R, byte G, byte B) color)
    {
        var rowSize = (width * 3 + 3) & ~3;
        var pixels = new byte[rowSize * height];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                pixels[y * rowSize + x * 3] = color.B;
                pixels[y * rowSize + x * 3 + 1] = color.G;
                pixels[y * rowSize + x * 3 + 2] = color.R;
            }
        }

        var file = new byte[54 + pixels.Length];
        file[0] = (byte)'B';
        file[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(2), file.Length);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(28), 24);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(34), pixels.Length);
        pixels.CopyTo(file, 54);
        return file;
    }

    // A 1x1 GIF89a with two frames: red, then blue (global palette of 2 colours, LZW minimum code size 2).
    private static byte[] TwoFrameGif()
    {
        byte[] header = [.. "GIF89a"u8, 1, 0, 1, 0, 0x80, 0, 0, 255, 0, 0, 0, 0, 255];
        byte[] loop = [0x21, 0xFF, 11, .. "NETSCAPE2.0"u8, 3, 1, 0, 0, 0];
        byte[] Frame(byte index) => [0x21, 0xF9, 4, 0, 10, 0, 0, 0, 0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, (byte)(0x44 | index), 0x01, 0];
        return [.. header, .. loop, .. Frame(0), .. Frame(1), 0x3B];
    }
}
