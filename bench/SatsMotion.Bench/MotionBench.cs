using System.Diagnostics;
using System.Globalization;
using SatsMotion.Testing;
using SatsMotion.Video.Images;
using SatsMotion.Video.Models;
using SatsMotion.Video.Motion;
using SkiaSharp;

namespace SatsMotion.Bench;

/// <summary>
/// A 5 s 720p clip from a 1920×1080 still, four ways, in one run: (a) our renderer + encoder, (b) ffmpeg's common
/// zoompan recipe, (c) ffmpeg's sub-pixel perspective filter, (d) ffmpeg alone encoding our frames from a raw file
/// with our settings (the floor). Wall time is the median of five runs; ours is timed as in a running server, on
/// its second clip (the first clip of a fresh process, which pays for JIT compilation, has its own column); peak
/// memory is the maximum resident set
/// (ours: our process plus its ffmpeg); smoothness is measured on a blob image rendered the same way.
/// Needs GNU time (/usr/bin/time, Debian package "time").
/// </summary>
public static class MotionBench
{
    // Medians of five: this shared two-core machine varies by 10% from run to run.
    private const int Runs = 5;

    private const string Zoompan = "zoompan=z='min(zoom+0.0015,1.5)':d=120:x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':s=1280x720:fps=24";

    // The same push-in as zoompan's first 120 frames (zoom 1 → 1.18), but evaluated in floating point per frame.
    private const string Perspective = "perspective=x0='W/2-W/(2*(1+0.0015*on))':y0='H/2-H/(2*(1+0.0015*on))':x1='W/2+W/(2*(1+0.0015*on))':y1='H/2-H/(2*(1+0.0015*on))':x2='W/2-W/(2*(1+0.0015*on))':y2='H/2+H/(2*(1+0.0015*on))':x3='W/2+W/(2*(1+0.0015*on))':y3='H/2+H/(2*(1+0.0015*on))':eval=frame,scale=1280:720";
    private static readonly string[] OurEncoding = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-profile:v", "high", "-movflags", "+faststart"];

    public static async Task RunAsync(string[] args)
    {
        MissingToolException.Require("motion", "time", "/usr/bin/time");
        var dir = Directory.CreateTempSubdirectory("motion-bench-").FullName;
        try
        {
            var photo = Path.Combine(dir, "photo.png");
            var blobs = Path.Combine(dir, "blobs.png");
            var big = Path.Combine(dir, "photo-24mp.jpg");
            await File.WriteAllBytesAsync(photo, TestImages.Encode(BenchImages.Photo(1920, 1080), SKEncodedImageFormat.Png));
            await File.WriteAllBytesAsync(blobs, TestImages.Encode(TestImages.Blobs(1920, 1080, BenchImages.BlobCentres, 4.5), SKEncodedImageFormat.Png));
            await File.WriteAllBytesAsync(big, TestImages.Encode(BenchImages.Photo(6000, 4000), SKEncodedImageFormat.Jpeg, 92));
            var raw = Path.Combine(dir, "frames.yuv");
            var rawBlobs = Path.Combine(dir, "blobs.yuv");
            await DumpFramesAsync(photo, raw);
            await DumpFramesAsync(blobs, rawBlobs);

            var rows = new List<Row>
            {
                await MeasureOursAsync("(a) ours: renderer + encoder", photo, blobs, dir),
                await MeasureFfmpegAsync("(b) ffmpeg zoompan recipe", ["-loop", "1", "-i", "{src}", "-vf", Zoompan, "-frames:v", "120", "-c:v", "libx264", "-pix_fmt", "yuv420p"], photo, blobs, dir),
                await MeasureFfmpegAsync("(c) ffmpeg perspective (sub-pixel)", ["-loop", "1", "-framerate", "24", "-i", "{src}", "-vf", Perspective, "-frames:v", "120", .. OurEncoding], photo, blobs, dir),
                await MeasureFfmpegAsync("(d) ffmpeg alone on our raw frames", ["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", "1280x720", "-framerate", "24", "-i", "{src}", .. OurEncoding], raw, rawBlobs, dir),
                await MeasureOursAsync("(a') ours from a 24 MP JPEG (6000x4000)", big, null, dir),
            };

            var zoompan = rows[1];
            var floor = rows[3];
            var table = new ResultTable("method", "wall s", "vs (b)", "vs (d)", "first clip of a fresh process s (vs d)", "peak MB", "size KB", "size vs (b)", "smoothness px");
            foreach (var row in rows)
            {
                table.Add(row.Name, F(row.Seconds, 2), F(row.Seconds / zoompan.Seconds, 2) + "x", F(row.Seconds / floor.Seconds, 2) + "x",
                    row.FirstClipSeconds is { } first ? $"{F(first, 2)} ({F(first / floor.Seconds, 2)}x)" : "-",
                    F(row.PeakMegabytes, 0), F(row.Bytes / 1024.0, 0), F((double)row.Bytes / zoompan.Bytes, 2) + "x", row.Smoothness is { } s ? F(s, 4) : "-");
            }

            table.Print();
            Console.WriteLine();
            Console.WriteLine($"targets: (a) >= 2x faster than (b): {(zoompan.Seconds / rows[0].Seconds >= 2 ? "met" : "NOT met")} ({F(zoompan.Seconds / rows[0].Seconds, 2)}x); " +
                $"within 1.3x of (d): {(rows[0].Seconds / floor.Seconds <= 1.3 ? "met" : "NOT met")}; " +
                $"size <= 1.5x (b): {(rows[0].Bytes <= 1.5 * zoompan.Bytes ? "met" : "NOT met")}; " +
                $"peak <= 400 MB at 24 MP: {(rows[4].PeakMegabytes <= 400 ? "met" : "NOT met")}; " +
                $"smoothness <= 0.1 px decoded: {(rows[0].Smoothness <= 0.1 ? "met" : "NOT met")}");
            await FirstClipBench.RunAsync(dir);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>
    /// Child process mode: decode the still as the server does, render and encode, twice: the first clip of a fresh
    /// process pays for JIT compilation, the second runs as in a server that has made clips before. Prints both
    /// times and our peak RSS.
    /// </summary>
    public static async Task RunOnceAsync(string[] args)
    {
        var bytes = await File.ReadAllBytesAsync(args[0]);
        var seconds = new List<string>();
        for (var run = 0; run < 2; run++)
        {
            var watch = Stopwatch.StartNew();
            using var image = ImageIntake.Decode(bytes, OutputFrame.LongestSide);
            await new LocalMotionModel().GenerateAsync(new VideoRequest(image, "slow zoom in", 5, args[1], args[1] + ".jpg"), null, CancellationToken.None);
            seconds.Add(watch.Elapsed.TotalSeconds.ToString(CultureInfo.InvariantCulture));
        }

        Console.WriteLine($"{string.Join(' ', seconds)} {PeakResidentKilobytes()}");
    }

    private sealed record Row(string Name, double Seconds, double PeakMegabytes, long Bytes, double? Smoothness, double? FirstClipSeconds = null);

    private static async Task<Row> MeasureOursAsync(string name, string source, string? blobs, string dir)
    {
        var wrapper = Path.Combine(dir, "ffmpeg-timed");
        var ffmpegPeak = Path.Combine(dir, "ffmpeg-peak");
        await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nexec /usr/bin/time -f %M -o {ffmpegPeak} ffmpeg \"$@\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var output = Path.Combine(dir, "ours.mp4");
        var runs = new List<(double Cold, double Warm, double PeakMb)>();
        for (var i = 0; i < Runs; i++)
        {
            var printed = (await RunAsync(BenchSelf.Command.Tool, [.. BenchSelf.Command.Arguments, "motion-run", source, output], wrapper)).Split(' ').Select(p => double.Parse(p, CultureInfo.InvariantCulture)).ToArray();
            var ffmpegKb = double.Parse((await File.ReadAllTextAsync(ffmpegPeak)).Trim(), CultureInfo.InvariantCulture);
            runs.Add((printed[0], printed[1], (printed[2] + ffmpegKb) / 1024));
        }

        var bytes = new FileInfo(output).Length;
        double? smoothness = null;
        if (blobs is not null)
        {
            await RunAsync(BenchSelf.Command.Tool, [.. BenchSelf.Command.Arguments, "motion-run", blobs, output], wrapper);
            smoothness = await SmoothnessOfAsync(output);
        }

        return new Row(name, Median(runs.Select(r => r.Warm)), runs.Max(r => r.PeakMb), bytes, smoothness, Median(runs.Select(r => r.Cold)));
    }

    private static async Task<Row> MeasureFfmpegAsync(string name, string[] arguments, string source, string blobs, string dir)
    {
        var output = Path.Combine(dir, "ffmpeg.mp4");
        string[] With(string src) => ["-f", "%e %M", "ffmpeg", "-v", "error", "-y", .. arguments.Select(a => a == "{src}" ? src : a), output];
        var runs = new List<(double Seconds, double PeakMb)>();
        for (var i = 0; i < Runs; i++)
        {
            var watch = Stopwatch.StartNew();
            var printed = (await RunAsync("/usr/bin/time", With(source), null, readStderr: true)).Trim().Split('\n')[^1].Split(' ');
            runs.Add((watch.Elapsed.TotalSeconds, double.Parse(printed[1], CultureInfo.InvariantCulture) / 1024));
        }

        var bytes = new FileInfo(output).Length;
        await RunAsync("/usr/bin/time", With(blobs), null, readStderr: true);
        return new Row(name, Median(runs.Select(r => r.Seconds)), runs.Max(r => r.PeakMb), bytes, await SmoothnessOfAsync(output));
    }

    private static async Task DumpFramesAsync(string source, string rawPath)
    {
        using var image = ImageIntake.Decode(await File.ReadAllBytesAsync(source), OutputFrame.LongestSide);
        var frame = OutputFrame.For(image.Bitmap.Width, image.Bitmap.Height);
        using var renderer = new MotionRenderer(image.Bitmap, frame, MotionPrompt.Parse("slow zoom in"), 120);
        await using var file = File.Create(rawPath);
        var buffer = new byte[frame.I420Length];
        for (var i = 0; i < 120; i++)
        {
            renderer.RenderI420(i, buffer);
            await file.WriteAsync(buffer);
        }
    }

    private static async Task<double> SmoothnessOfAsync(string video) =>
        Smoothness.WorstTrackRms(await Ffprobe.DecodeGrayFramesAsync(video, 1280, 720), 1280, 720, 12);

    private static async Task<string> RunAsync(string tool, string[] arguments, string? ffmpegOverride, bool readStderr = false)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        if (ffmpegOverride is not null)
        {
            start.Environment["SATSMOTION_FFMPEG"] = ffmpegOverride;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} failed: {await stderr}");
        }

        return readStderr ? await stderr : await stdout;
    }

    private static long PeakResidentKilobytes() =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static string F(double value, int decimals) => value.ToString("F" + decimals, CultureInfo.InvariantCulture);
}
