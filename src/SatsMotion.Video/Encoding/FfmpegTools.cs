namespace SatsMotion.Video.Encoding;

/// <summary>Where ffmpeg is: SATSMOTION_FFMPEG, else the PATH.</summary>
public static class FfmpegTools
{
    public const string InstallHint = "ffmpeg was not found; install it (Debian/Ubuntu: sudo apt-get install ffmpeg) or set SATSMOTION_FFMPEG; ./run installs it for you";

    public static string Ffmpeg => Environment.GetEnvironmentVariable("SATSMOTION_FFMPEG") ?? Find("ffmpeg");

    /// <summary>ffprobe beside the ffmpeg in use (SATSMOTION_FFMPEG's folder), else on the PATH.</summary>
    public static string Ffprobe => Environment.GetEnvironmentVariable("SATSMOTION_FFMPEG") is { } ffmpeg
        ? Path.Combine(Path.GetDirectoryName(ffmpeg) ?? "", "ffprobe")
        : Find("ffprobe");

    public static bool IsAvailable => File.Exists(Ffmpeg);

    private static string Find(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return name;
    }
}

/// <summary>ffmpeg is not installed: the message says how to install it.</summary>
public sealed class FfmpegNotFoundException() : Exception(FfmpegTools.InstallHint);

/// <summary>ffmpeg ran and failed; the message carries the end of what it printed.</summary>
public sealed class VideoEncodingException(string message) : Exception(message);
