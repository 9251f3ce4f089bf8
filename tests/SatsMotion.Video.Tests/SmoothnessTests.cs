using SatsMotion.Testing;
using SatsMotion.Video.Images;
using SatsMotion.Video.Models;
using SatsMotion.Video.Motion;
using SkiaSharp;
using Xunit.Abstractions;

namespace SatsMotion.Video.Tests;

/// <summary>
/// Blob tracks must be smooth: RMS deviation from local quadratic fits ≤ 0.02 px on our raw frames and ≤ 0.1 px
/// on the decoded MP4, while ffmpeg's zoompan recipe on the same image measures far worse (so the check can fail).
/// </summary>
public sealed class SmoothnessTests(ITestOutputHelper output) : IDisposable
{
    private const int Radius = 12;
    private static readonly (double, double)[] Centres = [(400, 300), (1500, 250), (300, 800), (1620, 860), (1100, 700), (700, 520)];
    private readonly string _dir = Directory.CreateTempSubdirectory("smooth-").FullName;

    [Fact]
    public void Raw_frames_move_smoothly()
    {
        using var source = TestImages.Blobs(1920, 1080, Centres, 4.5);
        var frames = RenderLuma(source, "slow zoom in", 120);
        var rms = Smoothness.WorstTrackRms(frames, 1280, 720, Radius);
        output.WriteLine($"raw frames: worst track RMS {rms:F4} px");
        Assert.Equal(Centres.Length, Smoothness.BlobCount(frames[0], 1280, 720, Radius));
        Assert.True(rms <= 0.02, $"raw frames RMS {rms:F4} px > 0.02");
    }

    [Theory]
    [InlineData("pan left slowly")]
    [InlineData("tilt up")]
    [InlineData("orbit around the subject")]
    [InlineData("dramatic pull out")]
    public void Raw_frames_move_smoothly_for_every_kind_of_move(string prompt)
    {
        using var source = TestImages.Blobs(1920, 1080, Centres, 4.5);
        var frames = RenderLuma(source, prompt, 120);
        var rms = Smoothness.WorstTrackRms(frames, 1280, 720, Radius);
        output.WriteLine($"{prompt}: worst track RMS {rms:F4} px");
        Assert.True(rms <= 0.02, $"{prompt}: RMS {rms:F4} px > 0.02");
    }

    [Fact]
    public async Task Decoded_mp4_moves_smoothly_and_zoompan_does_not()
    {
        using var source = TestImages.Blobs(1920, 1080, Centres, 4.5);
        var ours = Path.Combine(_dir, "ours.mp4");
        using (var image = new SourceImage(source.Copy(), 1920, 1080, "png", false))
        {
            await new LocalMotionModel().GenerateAsync(new VideoRequest(image, "slow zoom in", 5, ours, Path.Combine(_dir, "ours.jpg")), null, CancellationToken.None);
        }

        var ourRms = Smoothness.WorstTrackRms(await Ffprobe.DecodeGrayFramesAsync(ours, 1280, 720), 1280, 720, Radius);

        var png = Path.Combine(_dir, "src.png");
        await File.WriteAllBytesAsync(png, TestImages.Encode(source, SKEncodedImageFormat.Png));
        var zoompan = Path.Combine(_dir, "zoompan.mp4");
        await Ffprobe.RunAsync("ffmpeg", "-v", "error", "-loop", "1", "-i", png, "-vf",
            "zoompan=z='min(zoom+0.0015,1.5)':d=120:x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':s=1280x720:fps=24",
            "-frames:v", "120", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-y", zoompan);
        var zoompanRms = Smoothness.WorstTrackRms(await Ffprobe.DecodeGrayFramesAsync(zoompan, 1280, 720), 1280, 720, Radius);

        output.WriteLine($"decoded MP4: ours {ourRms:F4} px, zoompan {zoompanRms:F4} px");
        Assert.True(ourRms <= 0.1, $"our decoded MP4 RMS {ourRms:F4} px > 0.1");
        Assert.True(zoompanRms > 0.2, $"zoompan measured {zoompanRms:F4} px: the measurement no longer tells jitter apart");
    }

    private static List<byte[]> RenderLuma(SKBitmap source, string prompt, int frameCount)
    {
        var frame = OutputFrame.For(source.Width, source.Height);
        using var renderer = new MotionRenderer(source, frame, MotionPrompt.Parse(prompt), frameCount);
        var i420 = new byte[frame.I420Length];
        var frames = new List<byte[]>();
        for (var i = 0; i < frameCount; i++)
        {
            renderer.RenderI420(i, i420);
            frames.Add(i420[..(frame.Width * frame.Height)]);
        }

        return frames;
    }

    public void Dispose() => Directory.Delete(_dir, true);
}
