using System.Globalization;
using System.Text.Json.Nodes;
using SatsMotion.Video.Encoding;
using SatsMotion.Video.Models;

namespace SatsMotion.Video.Remote;

/// <summary>
/// Provider output URLs are temporary and the provider's own: the output is downloaded (bounded in size and
/// time), checked with ffprobe to be a video of about the asked length, made a web-playable H.264 MP4 if it is not
/// one, given a poster frame, and only then moved into place, so a reader never sees a partial file.
/// </summary>
public sealed class OutputRehoster(HttpClient http, long maxBytes, TimeSpan downloadTimeout)
{
    public const long DefaultMaxBytes = 500L * 1024 * 1024;

    public async Task<VideoResult> StoreAsync(ProviderOutput output, VideoJob job, CancellationToken cancellationToken)
    {
        var download = job.VideoPath + ".download";
        var partial = job.VideoPath + ".partial.mp4";
        var poster = job.PosterPath + ".partial.jpg";
        try
        {
            await DownloadAsync(output, download, cancellationToken);
            var probe = await ProbeAsync(download, cancellationToken);
            var tolerance = Math.Max(1.0, job.DurationSeconds * 0.25);
            if (Math.Abs(probe.DurationSeconds - job.DurationSeconds) > tolerance)
            {
                throw Invalid($"the video lasts {probe.DurationSeconds:F1} s, not about {job.DurationSeconds} s");
            }

            // Browsers play H.264 in MP4 everywhere; anything else is re-encoded once, here. The poster is the second
            // output of the same run: one ffmpeg start less per job (about 0.1 s of CPU on a worker).
            var playable = probe.Codec == "h264" && probe.Container.Contains("mp4", StringComparison.Ordinal);
            string[] video = playable
                ? ["-map", "0:v:0", "-map", "0:a?", "-c", "copy", "-movflags", "+faststart", "-f", "mp4", "-y", partial]
                : ["-map", "0:v:0", "-map", "0:a?", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart", "-f", "mp4", "-y", partial];
            await ToolRun.RunAsync(FfmpegTools.Ffmpeg, ["-hide_banner", "-nostdin", "-loglevel", "error", "-i", download, .. video,
                "-map", "0:v:0", "-frames:v", "1", "-q:v", "3", "-f", "image2", "-y", poster], cancellationToken);
            File.Move(poster, job.PosterPath, overwrite: true);
            File.Move(partial, job.VideoPath, overwrite: true);
            return new VideoResult(job.VideoPath, job.PosterPath, probe.Width, probe.Height, probe.Frames, probe.DurationSeconds);
        }
        catch (VideoEncodingException e)
        {
            throw Invalid($"ffmpeg could not read or convert it: {e.Message}");
        }
        finally
        {
            File.Delete(download);
            File.Delete(partial);
            File.Delete(poster);
        }
    }

    private async Task DownloadAsync(ProviderOutput output, string path, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(downloadTimeout);
        try
        {
            // An output on the provider's own server (ComfyUI's /view behind a proxy) needs the key the API calls carry.
            using var request = new HttpRequestMessage(HttpMethod.Get, output.Url);
            request.Headers.Authorization = output.Authorization;
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            if (!response.IsSuccessStatusCode)
            {
                // 5xx and 429 may pass; a 404 or 403 means the output is gone or was never ours.
                throw new VideoGenerationException(VideoFailure.OutputInvalid, "the provider's output could not be downloaded",
                    $"GET output: HTTP {(int)response.StatusCode}", transient: (int)response.StatusCode is >= 500 or 429);
            }

            if (response.Content.Headers.ContentLength > maxBytes)
            {
                throw Invalid($"the output is {response.Content.Headers.ContentLength} bytes, over the {maxBytes}-byte limit");
            }

            await using var source = await response.Content.ReadAsStreamAsync(deadline.Token);
            await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            var buffer = new byte[1 << 16];
            long total = 0;
            int read;
            while ((read = await source.ReadAsync(buffer, deadline.Token)) > 0)
            {
                total += read;
                if (total > maxBytes)
                {
                    throw Invalid($"the output is over the {maxBytes}-byte limit");
                }

                await file.WriteAsync(buffer.AsMemory(0, read), deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new VideoGenerationException(VideoFailure.OutputInvalid, "the provider's output could not be downloaded in time",
                $"GET output: no complete answer within {downloadTimeout}", transient: true);
        }
        catch (HttpRequestException e)
        {
            throw new VideoGenerationException(VideoFailure.OutputInvalid, "the provider's output could not be downloaded", $"GET output: {e.Message}", transient: true, e);
        }
    }

    private sealed record Probe(string Container, string Codec, int Width, int Height, int Frames, double DurationSeconds);

    private static async Task<Probe> ProbeAsync(string path, CancellationToken cancellationToken)
    {
        var text = await ToolRun.RunAsync(FfmpegTools.Ffprobe, ["-v", "error", "-select_streams", "v:0", "-show_entries",
            "stream=codec_name,width,height,nb_frames:format=format_name,duration", "-of", "json", path], cancellationToken);
        var json = JsonNode.Parse(text);
        var stream = json?["streams"]?.AsArray().FirstOrDefault() ?? throw Invalid("the output has no video stream");
        var duration = double.TryParse(json?["format"]?["duration"]?.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) ? seconds : 0;
        var frames = int.TryParse(stream["nb_frames"]?.GetValue<string>(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var count) ? count : 0;
        return new Probe(json?["format"]?["format_name"]?.GetValue<string>() ?? "", stream["codec_name"]?.GetValue<string>() ?? "",
            stream["width"]?.GetValue<int>() ?? 0, stream["height"]?.GetValue<int>() ?? 0, frames, duration);
    }

    private static VideoGenerationException Invalid(string detail) =>
        new(VideoFailure.OutputInvalid, "the provider returned something that is not a usable video", detail);
}
