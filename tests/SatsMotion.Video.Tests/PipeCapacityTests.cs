using System.Diagnostics;
using SatsMotion.Video.Encoding;

namespace SatsMotion.Video.Tests;

public class PipeCapacityTests
{
    [Fact]
    public async Task A_child_process_stdin_pipe_grows_to_one_megabyte_on_linux()
    {
        using var child = Process.Start(new ProcessStartInfo("cat") { RedirectStandardInput = true, RedirectStandardOutput = true })!;
        try
        {
            Assert.Equal(PipeCapacity.Preferred, PipeCapacity.TryEnlarge(child.StandardInput.BaseStream));
        }
        finally
        {
            child.StandardInput.Close();
            await child.WaitForExitAsync();
        }
    }

    [Fact]
    public void A_stream_that_is_not_a_pipe_is_left_alone()
    {
        Assert.Null(PipeCapacity.TryEnlarge(new MemoryStream()));
    }
}
