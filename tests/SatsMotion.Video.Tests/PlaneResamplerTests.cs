using SatsMotion.Video.Motion;

namespace SatsMotion.Video.Tests;

/// <summary>The column kernels (AVX-512 permutes, AVX2 gathers, scalar) must agree byte for byte.</summary>
public class PlaneResamplerTests
{
    [Theory]
    [InlineData(1280, 720, 0.83, 12.3, 7.9)]
    [InlineData(1280, 720, 1.0, 0.0, 0.0)]
    [InlineData(640, 360, 0.4177, 301.7, 188.05)]
    [InlineData(720, 1280, 0.999, 3.5, 40.25)]
    [InlineData(100, 30, 0.05, -2.0, 1400.0)]
    [InlineData(1280, 720, 1.5, 5.25, 2.5)]
    public void Every_kernel_writes_the_same_plane(int width, int height, double step, double originX, double originY)
    {
        var random = new Random(width * 31 + height);
        var source = new Plane(new byte[1400 * 1500], 1400, 1500);
        random.NextBytes(source.Pixels);

        byte[] Render(ColumnKernel kernel)
        {
            var output = new byte[width * height];
            new PlaneResampler(width, height, kernel).Resample(source, originX, originY, step, output);
            return output;
        }

        var scalar = Render(ColumnKernel.Scalar);
        Assert.Equal(scalar, Render(ColumnKernel.Gather));
        Assert.Equal(scalar, Render(ColumnKernel.Fastest));
    }

    [Fact]
    public void A_step_of_one_copies_the_source_exactly()
    {
        var source = new Plane(Enumerable.Range(0, 64 * 8).Select(i => (byte)(i * 7)).ToArray(), 64, 8);
        var output = new byte[32 * 4];
        new PlaneResampler(32, 4).Resample(source, 5, 2, 1, output);
        for (var y = 0; y < 4; y++)
        {
            Assert.Equal(source.Pixels.AsSpan((y + 2) * 64 + 5, 32).ToArray(), output.AsSpan(y * 32, 32).ToArray());
        }
    }
}
