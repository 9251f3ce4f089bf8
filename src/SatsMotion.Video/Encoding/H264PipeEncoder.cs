using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace SatsMotion.Video.Encoding;

/// <summary>libx264 settings for the frames we pipe: what every browser and phone plays.</summary>
public sealed record H264Settings(int Width, int Height, int FramesPerSecond, string Preset = "veryfast", int Crf = 20)
{
    public IReadOnlyList<string> Arguments(string outputPath) =>
    [
        "-hide_banner", "-nostdin", "-loglevel", "error",
        "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", $"{Width}x{Height}", "-framerate", FramesPerSecond.ToString(CultureInfo.InvariantCulture),
        "-color_range", "tv", "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
        "-i", "pipe:0",
        "-c:v", "libx264", "-preset", Preset, "-crf", Crf.ToString(CultureInfo.InvariantCulture),
        "-pix_fmt", "yuv420p", "-profile:v", "high", "-movflags", "+faststart",
        "-f", "mp4", "-y", outputPath,
    ];
}

/// <summary>
/// Pipes raw I420 frames into ffmpeg. Output goes to a ".partial" file renamed only when ffmpeg succeeds,
/// so a failure or a cancellation never leaves a half-written video behind.
/// </summary>
public sealed class H264PipeEncoder : IAsyncDisposable
{
    private const int StderrTailLength = 4000;
    private readonly Process _process;
    private readonly string _outputPath;
    private readonly string _partialPath;
    private readonly Task _stderrPump;
    private readonly StringBuilder _stderr = new();
    private bool _completed;

    private H264PipeEncoder(Process process, string outputPath, string partialPath)
    {
        _process = process;
        _outputPath = outputPath;
        _partialPath = partialPath;
        _stderrPump = PumpStderrAsync();
    }

    public static H264PipeEncoder Start(H264Settings settings, string outputPath, string? ffmpegPath = null)
    {
        var partialPath = outputPath + ".partial";
        var start = new ProcessStartInfo(ffmpegPath ?? FfmpegTools.Ffmpeg)
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = false,
            UseShellExecute = false,
        };
        foreach (var argument in settings.Arguments(partialPath))
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            var process = Process.Start(start) ?? throw new FfmpegNotFoundException();
            _ = PipeCapacity.TryEnlarge(process.StandardInput.BaseStream);
            return new H264PipeEncoder(process, outputPath, partialPath);
        }
        catch (Win32Exception)
        {
            throw new FfmpegNotFoundException();
        }
    }

    public async ValueTask WriteFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        try
        {
            await _process.StandardInput.BaseStream.WriteAsync(frame, cancellationToken);
        }
        catch (IOException)
        {
            // ffmpeg closed the pipe: it failed, and its own words say why.
            await _process.WaitForExitAsync(CancellationToken.None);
            await _stderrPump;
            throw new VideoEncodingException($"ffmpeg stopped reading frames (exit {_process.ExitCode}): {StderrTail()}");
        }
    }

    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        _process.StandardInput.Close();
        await _process.WaitForExitAsync(cancellationToken);
        await _stderrPump;
        if (_process.ExitCode != 0)
        {
            throw new VideoEncodingException($"ffmpeg failed (exit {_process.ExitCode}): {StderrTail()}");
        }

        File.Move(_partialPath, _outputPath, overwrite: true);
        _completed = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        if (!_completed)
        {
            File.Delete(_partialPath);
        }

        _process.Dispose();
    }

    private string StderrTail()
    {
        lock (_stderr)
        {
            var text = _stderr.ToString().Trim();
            return text.Length == 0 ? "(no output)" : text;
        }
    }

    private async Task PumpStderrAsync()
    {
        var buffer = new char[1024];
        int read;
        while ((read = await _process.StandardError.ReadAsync(buffer)) > 0)
        {
            lock (_stderr)
            {
                _stderr.Append(buffer, 0, read);
                if (_stderr.Length > StderrTailLength)
                {
                    _stderr.Remove(0, _stderr.Length - StderrTailLength);
                }
            }
        }
    }
}
