using System.Diagnostics;

namespace SatsMotion.Testing;

/// <summary>
/// A server run as its own process: started, awaited until GET /healthz answers, killed when stopped or disposed.
/// What it prints is kept for <see cref="StopAsync"/>.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task<string> _output;
    private readonly Task<string> _errors;
    private bool _stopped;

    private ServerProcess(Process process)
    {
        _process = process;
        _output = process.StandardOutput.ReadToEndAsync();
        _errors = process.StandardError.ReadToEndAsync();
    }

    public static async Task<ServerProcess> StartAsync(ProcessStartInfo start, Uri address, TimeSpan timeout)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var server = new ServerProcess(Process.Start(start)!);
        try
        {
            await WaitUntilHealthyAsync(server._process, address, timeout);
            return server;
        }
        catch (TimeoutException e)
        {
            // What the server printed says why it never answered (a setting, a port, a crash).
            throw new TimeoutException($"{e.Message}; it printed:\n{await server.StopAsync()}", e);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs a server that is expected to stop by itself (a refused setting): its exit code and standard error.</summary>
    public static async Task<(int Exit, string Stderr)> RunUntilExitAsync(ProcessStartInfo start, TimeSpan timeout)
    {
        var (exit, _, stderr) = await RunToEndAsync(start, timeout);
        return (exit, stderr);
    }

    /// <summary>Runs a server that stops by itself (an operator verb): its exit code, standard output and standard error.</summary>
    public static async Task<(int Exit, string Stdout, string Stderr)> RunToEndAsync(ProcessStartInfo start, TimeSpan timeout)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            // It did not stop by itself (a server that started instead): it must not outlive the test.
            process.Kill(true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"the server did not exit within {timeout.TotalSeconds} s; it printed:\n{await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    public int ProcessId => _process.Id;

    /// <summary>Kills the server and returns all it wrote (standard output, then standard error).</summary>
    public async Task<string> StopAsync()
    {
        await DisposeAsync();
        return await _output + await _errors;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        if (!_process.HasExited)
        {
            _process.Kill(true);
        }

        await _process.WaitForExitAsync();
        await _output;
        await _errors;
        _process.Dispose();
    }

    private static async Task WaitUntilHealthyAsync(Process process, Uri address, TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = address };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            try
            {
                if ((await http.GetAsync("/healthz")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException(process.HasExited ? $"the server at {address} exited ({process.ExitCode}) before answering /healthz" : $"the server at {address} did not answer /healthz within {timeout.TotalSeconds} s");
    }
}
