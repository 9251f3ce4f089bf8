using System.ComponentModel;
using System.Diagnostics;

namespace SatsMotion.Video.Encoding;

/// <summary>Runs ffmpeg or ffprobe to completion: its standard output, or the end of what it printed on failure.</summary>
public static class ToolRun
{
    private const int StderrTailLength = 2000;

    public static async Task<string> RunAsync(string tool, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new FfmpegNotFoundException();
        }
        catch (Win32Exception)
        {
            throw new FfmpegNotFoundException();
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                await process.WaitForExitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                process.Kill(true);
                throw;
            }

            var error = await stderr;
            return process.ExitCode == 0
                ? await stdout
                : throw new VideoEncodingException($"{Path.GetFileName(tool)} failed ({process.ExitCode}): {(error.Length > StderrTailLength ? error[^StderrTailLength..] : error).Trim()}");
        }
    }
}
