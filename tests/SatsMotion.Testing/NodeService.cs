using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SatsMotion.Testing;

/// <summary>
/// A long-running Node script from tests/interop (a relay, a wallet service, …): JSON in on stdin, the first
/// stdout line is its JSON "ready" answer, and it runs until disposed.
/// </summary>
public sealed class NodeService : IAsyncDisposable
{
    private readonly Process _process;

    private NodeService(Process process, JsonNode ready)
    {
        _process = process;
        Ready = ready;
    }

    public JsonNode Ready { get; }

    public static async Task<NodeService> StartAsync(string script, object input)
    {
        var start = new ProcessStartInfo("node", Path.Combine(RepositoryPaths.Interop, script))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryPaths.Interop,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        await process.StandardInput.WriteAsync(JsonSerializer.Serialize(input));
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        if (line is null)
        {
            throw new InvalidOperationException($"{script} stopped before it was ready: {await stderr}");
        }

        return new NodeService(process, JsonNode.Parse(line)!);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
