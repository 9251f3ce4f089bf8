using System.Security.Cryptography;
using SatsMotion.Testing;
using SatsMotion.Video.Encoding;
using SatsMotion.Video.Images;
using SatsMotion.Video.Models;
using SatsMotion.Video.Motion;
using SkiaSharp;

namespace SatsMotion.Video.Tests;

/// <summary>The model end to end with the real ffmpeg; ffprobe checks what was written.</summary>
public sealed class LocalMotionModelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("motion-").FullName;

    private SourceImage Image(int width, int height) =>
        ImageIntake.Decode(TestImages.Encode(TestImages.Gradient(width, height), SKEncodedImageFormat.Jpeg));

    private VideoRequest Request(SourceImage image, string prompt, int seconds, string name = "clip") =>
        new(image, prompt, seconds, Path.Combine(_dir, name + ".mp4"), Path.Combine(_dir, name + ".jpg"));

    [Theory]
    [InlineData(1600, 900, 3, 1280, 720)]
    [InlineData(900, 1600, 3, 720, 1280)]
    [InlineData(800, 760, 4, 720, 720)]
    public async Task Writes_h264_of_the_exact_length_and_size(int w, int h, int seconds, int ow, int oh)
    {
        using var image = Image(w, h);
        var progress = new List<double>();
        var result = await new LocalMotionModel().GenerateAsync(Request(image, "zoom in", seconds), new SyncProgress(progress), CancellationToken.None);

        var probe = await Ffprobe.ProbeAsync(result.VideoPath);
        Assert.Equal("h264", probe.Codec);
        Assert.Equal("yuv420p", probe.PixelFormat);
        Assert.Equal((ow, oh), (probe.Width, probe.Height));
        Assert.Equal(24 * seconds, probe.Frames);
        Assert.Equal("24/1", probe.FrameRate);
        Assert.Equal(seconds, probe.DurationSeconds, 2);
        Assert.Equal(24 * seconds, result.Frames);
        Assert.Equal(24 * seconds, progress.Count);
        Assert.Equal(1.0, progress[^1]);

        using var poster = SKBitmap.Decode(result.PosterPath);
        Assert.Equal((ow, oh), (poster.Width, poster.Height));
        Assert.Empty(Directory.GetFiles(_dir, "*.partial"));
    }

    [Fact]
    public async Task Moov_atom_comes_first_for_streaming()
    {
        using var image = Image(640, 360);
        var result = await new LocalMotionModel().GenerateAsync(Request(image, "pan left", 3), null, CancellationToken.None);
        var head = File.ReadAllBytes(result.VideoPath).AsSpan(0, 4096);
        var moov = head.IndexOf("moov"u8);
        var mdat = head.IndexOf("mdat"u8);
        Assert.True(moov > 0 && (mdat < 0 || moov < mdat), "moov must precede mdat (+faststart)");
    }

    [Fact]
    public async Task Same_input_renders_the_same_video()
    {
        using var image = Image(1200, 800);
        var model = new LocalMotionModel();
        var a = await model.GenerateAsync(Request(image, "orbit slowly", 3, "a"), null, CancellationToken.None);
        var b = await model.GenerateAsync(Request(image, "orbit slowly", 3, "b"), null, CancellationToken.None);
        var c = await model.GenerateAsync(Request(image, "pan right", 3, "c"), null, CancellationToken.None);
        Assert.Equal(Hash(a.PosterPath), Hash(b.PosterPath));
        Assert.Equal(Hash(a.VideoPath), Hash(b.VideoPath));
        Assert.NotEqual(Hash(a.VideoPath), Hash(c.VideoPath));
    }

    [Fact]
    public async Task Cancellation_mid_render_leaves_no_file()
    {
        using var image = Image(1600, 900);
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress([], p =>
        {
            if (p >= 0.3)
            {
                cts.Cancel();
            }
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new LocalMotionModel().GenerateAsync(Request(image, "zoom in", 10), progress, cts.Token));
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public async Task Missing_ffmpeg_says_how_to_install_it()
    {
        using var image = Image(320, 180);
        var model = new LocalMotionModel(ffmpegPath: Path.Combine(_dir, "no-such-ffmpeg"));
        var error = await Assert.ThrowsAsync<FfmpegNotFoundException>(() => model.GenerateAsync(Request(image, "zoom in", 3), null, CancellationToken.None));
        Assert.Contains("apt-get install ffmpeg", error.Message);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public async Task Ffmpeg_failure_is_reported_with_its_own_words()
    {
        using var image = Image(320, 180);
        var model = new LocalMotionModel(preset: "no-such-preset");
        var error = await Assert.ThrowsAsync<VideoEncodingException>(() => model.GenerateAsync(Request(image, "zoom in", 3), null, CancellationToken.None));
        Assert.Contains("preset", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(16)]
    public async Task Durations_outside_the_catalog_range_are_refused(int seconds)
    {
        using var image = Image(320, 180);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => new LocalMotionModel().GenerateAsync(Request(image, "zoom in", seconds), null, CancellationToken.None));
    }

    [Fact]
    public void Catalog_entry_is_honest_and_priced_per_second()
    {
        var descriptor = new LocalMotionModel().Descriptor;
        Assert.Equal("motion", descriptor.Slug);
        Assert.False(descriptor.IsAi);
        Assert.Equal("video_from_image", descriptor.Kind);
        Assert.Equal(500, descriptor.PriceSats(5));
        Assert.Equal((3, 15), (descriptor.MinDurationSeconds, descriptor.MaxDurationSeconds));
        Assert.Equal(1500, new LocalMotionModel(satsPerSecond: 100).Descriptor.PriceSats(15));
    }

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>Progress that records synchronously (Progress&lt;T&gt; posts to the thread pool and may lag).</summary>
    private sealed class SyncProgress(List<double> values, Action<double>? onReport = null) : IProgress<double>
    {
        public void Report(double value)
        {
            lock (values)
            {
                values.Add(value);
            }

            onReport?.Invoke(value);
        }
    }
}
