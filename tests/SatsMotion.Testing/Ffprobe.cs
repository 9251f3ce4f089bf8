using System.Diagnostics;
using System.Text.Json.Nodes;

namespace SatsMotion.Testing;

/// <summary>What ffprobe reads from a video file: the independent check of what we wrote.</summary>
public sealed record ProbeResult(string Codec, string PixelFormat, int Width, int Height, int Frames, double DurationSeconds, string FrameRate);

public static class Ffprobe
{
    public static async Task<ProbeResult> ProbeAsync(string path)
    {
        var json = JsonNode.Parse(await RunAsync("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
            "-show_entries", "stream=codec_name,pix_fmt,width,height,nb_read_frames,r_frame_rate:format=duration", "-of", "json", path))!;
        var stream = json["streams"]![0]!;
        return new ProbeResult(
            stream["codec_name"]!.GetValue<string>(),
            stream["pix_fmt"]!.GetValue<string>(),
            stream["width"]!.GetValue<int>(),
            stream["height"]!.GetValue<int>(),
            int.Parse(stream["nb_read_frames"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture),
            double.Parse(json["format"]!["duration"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture),
            stream["r_frame_rate"]!.GetValue<string>());
    }

    /// <summary>Decodes a video to 8-bit grey frames (the luma plane), for measuring what a viewer sees.</summary>
    public static async Task<List<byte[]>> DecodeGrayFramesAsync(string path, int width, int height)
    {
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1" })
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var frames = new List<byte[]>();
        var stream = process.StandardOutput.BaseStream;
        while (true)
        {
            var frame = new byte[width * height];
            var read = 0;
            while (read < frame.Length)
            {
                var n = await stream.ReadAsync(frame.AsMemory(read));
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            if (read < frame.Length)
            {
                break;
            }

            frames.Add(frame);
        }

        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? frames : throw new InvalidOperationException("ffmpeg decode failed: " + await stderr);
    }

    public static async Task<string> RunAsync(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? await stdout : throw new InvalidOperationException($"{tool} failed: {await stderr}");
    }
}
