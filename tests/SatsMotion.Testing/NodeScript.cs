using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SatsMotion.Testing;

/// <summary>
/// Runs a script from tests/interop with Node, JSON in on stdin and JSON out on stdout, so that
/// independent JavaScript implementations can check our artifacts.
/// </summary>
public static class NodeScript
{
    public static async Task<JsonNode> RunAsync(string script, object input, TimeSpan? timeout = null)
    {
        var node = Path.Combine(RepositoryPaths.Interop, "node_modules");
        if (!Directory.Exists(node))
        {
            throw new InvalidOperationException($"npm packages missing: run 'npm ci' in {RepositoryPaths.Interop} (./test does)");
        }

        var start = new ProcessStartInfo("node", Path.Combine(RepositoryPaths.Interop, script))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryPaths.Interop,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        await process.StandardInput.WriteAsync(JsonSerializer.Serialize(input));
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(true);
            throw new TimeoutException($"{script} did not finish; stderr: {await stderr}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{script} exited {process.ExitCode}: {await stderr}");
        }

        return JsonNode.Parse(await stdout) ?? throw new InvalidOperationException($"{script} printed no JSON");
    }
}
