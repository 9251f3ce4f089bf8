using System.Diagnostics;
using System.Text.RegularExpressions;
using SatsMotion.Testing;

namespace SatsMotion.Server.Tests;

/// <summary>The curl examples of the README's tour and of docs/callers/payments.md, run as written (bash, curl, base64) against the real server on a socket.</summary>
public sealed partial class ReadmeCurlTests : IDisposable
{
    private readonly TestHost _host = new(kestrel: true);
    private readonly string _work = Directory.CreateTempSubdirectory("readme-curl-").FullName;

    [GeneratedRegex("```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();

    // The first sh block after a heading of a page.
    private static string BlockAfter(string page, string heading)
    {
        var text = File.ReadAllText(Path.Combine(RepositoryPaths.Root, page));
        var at = text.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(at >= 0, $"{page} has no '{heading}'");
        return ShellBlock().Match(text, at).Groups[1].Value;
    }

    [Fact]
    public async Task The_L402_dance_and_then_the_MPP_credential_of_the_same_402_buy_one_job()
    {
        _host.StartServer();
        await File.WriteAllBytesAsync(Path.Combine(_work, "photo.jpg"), TestHost.Jpeg());
        var l402 = BlockAfter("README.md", "## Try it").Replace("S=http://127.0.0.1:5402", "S=" + _host.ServerAddress.ToString().TrimEnd('/'), StringComparison.Ordinal);
        Assert.Contains("S=" + _host.ServerAddress.ToString().TrimEnd('/'), l402);
        var script = l402 + "\necho '--- mpp'\n" + BlockAfter("docs/callers/payments.md", "## MPP (the `Payment` scheme)");

        var start = new ProcessStartInfo("bash", ["-euo", "pipefail", "-c", script]) { WorkingDirectory = _work, RedirectStandardOutput = true, RedirectStandardError = true };
        using var bash = Process.Start(start)!;
        var output = bash.StandardOutput.ReadToEndAsync();
        var errors = bash.StandardError.ReadToEndAsync();
        await bash.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(bash.ExitCode == 0, await errors + await output);

        var parts = (await output).Split("--- mpp");
        var jobIds = parts.Select(p => Regex.Match(p, "\"jobId\":\"([0-9a-f]{32})\"").Groups[1].Value).ToList();
        Assert.All(parts, p => Assert.Contains("\"videoUrl\":", p));
        Assert.Equal(jobIds[0], jobIds[1]);
        Assert.NotEqual("", jobIds[0]);
        Assert.Matches("(?im)^HTTP/1.1 200", parts[1]);
        Assert.Matches("(?im)^Payment-Receipt: [A-Za-z0-9_-]+", parts[1]);
        Assert.Equal(1, _host.Count("jobs"));
    }

    public void Dispose()
    {
        _host.Dispose();
        Directory.Delete(_work, recursive: true);
    }
}
