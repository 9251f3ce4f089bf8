using System.IO.Pipes;
using System.Runtime.InteropServices;

namespace SatsMotion.Video.Encoding;

/// <summary>
/// Linux pipes hold 64 KB by default, so a 1.4 MB raw frame crosses in ~21 refills, each a context switch and a
/// wait for ffmpeg to drain. With 1 MB (the limit an unprivileged process may set) the encoder is fed about as
/// fast as from a file. Elsewhere, or if the kernel refuses, the pipe keeps its size.
/// </summary>
public static partial class PipeCapacity
{
    public const int Preferred = 1 << 20;
    private const int SetPipeSize = 1031;
    private const int GetPipeSize = 1032;

    /// <summary>Asks for <see cref="Preferred"/> bytes; returns the capacity in effect, or null where it cannot be told.</summary>
    public static int? TryEnlarge(Stream stream)
    {
        if (!OperatingSystem.IsLinux() || stream is not PipeStream pipe)
        {
            return null;
        }

        var descriptor = (int)pipe.SafePipeHandle.DangerousGetHandle();
        _ = fcntl(descriptor, SetPipeSize, Preferred);
        var capacity = fcntl(descriptor, GetPipeSize, 0);
        return capacity > 0 ? capacity : null;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fcntl(int descriptor, int command, int argument);
}
