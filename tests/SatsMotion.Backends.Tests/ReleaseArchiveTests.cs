using System.Diagnostics;
using System.Text.Json.Nodes;
using SatsMotion.Backends.Tests.Scale;
using SatsMotion.Server.Tests;
using SatsMotion.Testing;

namespace SatsMotion.Backends.Tests;

/// <summary>
/// The release as an operator gets it: scripts/publish builds the linux-x64 archive, which is unpacked into a fresh
/// folder and run on its own (no SDK, no `dotnet`): its version, a paid flow on the embedded defaults, the web page
/// and the console from beside the executable; and the files that travel with it.
/// </summary>
public sealed class ReleaseArchiveTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("release-").FullName;

    public void Dispose() => Directory.Delete(_folder, true);

    private static async Task<(int Exit, string Output)> RunAsync(string file, IEnumerable<string> arguments, TimeSpan timeout, string? directory = null)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory ?? RepositoryPaths.Root };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(deadline.Token);
        return (process.ExitCode, await output + await errors);
    }

    [Fact]
    public async Task The_unpacked_archive_runs_a_paid_flow_on_its_own()
    {
        var (exit, printed) = await RunAsync(Path.Combine(RepositoryPaths.Root, "scripts", "publish"), ["--rid", "linux-x64", "--out", Path.Combine(_folder, "out")], TimeSpan.FromMinutes(15));
        Assert.True(exit == 0, printed);
        var archive = Assert.Single(Directory.GetFiles(Path.Combine(_folder, "out"), "satsmotion-*-linux-x64.tar.gz"));
        var unpacked = Directory.CreateDirectory(Path.Combine(_folder, "fresh")).FullName;
        (exit, printed) = await RunAsync("tar", ["-xzf", archive, "-C", unpacked], TimeSpan.FromMinutes(2));
        Assert.True(exit == 0, printed);
        var root = Assert.Single(Directory.GetDirectories(unpacked));
        foreach (var file in new[] { "satsmotion", "appsettings.json", "settings.example.json", "satsmotion.service", "INSTALL.md", "wwwroot/index.html", "wwwroot/admin.css" })
        {
            Assert.True(File.Exists(Path.Combine(root, file)), $"{file} is not in the archive");
        }

        // One executable: no assemblies of ours beside it, and ReadyToRun code inside it.
        Assert.Empty(Directory.GetFiles(root, "SatsMotion.*.dll"));
        var executable = Path.Combine(root, "satsmotion");
        (exit, printed) = await RunAsync(executable, ["--version"], TimeSpan.FromSeconds(30), directory: "/");
        Assert.Equal(0, exit);
        Assert.Matches(@"^satsmotion \d+\.\d+\.\d+", printed.Trim());

        var unit = await File.ReadAllTextAsync(Path.Combine(root, "satsmotion.service"));
        foreach (var line in new[] { "User=satsmotion", "NoNewPrivileges=true", "ProtectSystem=strict", "StateDirectory=satsmotion", "ExecStart=/opt/satsmotion/satsmotion --data ${STATE_DIRECTORY}" })
        {
            Assert.Contains(line, unit);
        }

        // Started from another directory with the environment of a machine without .NET (no DOTNET_ROOT, no dotnet on PATH).
        var address = new Uri($"http://127.0.0.1:{LoopbackPorts.Free()}");
        var start = new ProcessStartInfo(executable, ["--data", Path.Combine(_folder, "data"), "--urls", address.GetLeftPart(UriPartial.Authority)]) { WorkingDirectory = "/" };
        start.Environment.Remove("DOTNET_ROOT");
        start.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        await using var server = await ServerProcess.StartAsync(start, address, TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(100) };
        var health = JsonNode.Parse(await http.GetStringAsync("/healthz"))!;
        Assert.Equal(printed.Trim()["satsmotion ".Length..], health["version"]!.GetValue<string>());

        var body = TestHost.Body("slow zoom in", duration: 3);
        var credential = await Cluster.PayAsync(http, await Cluster.ChallengeAsync(http, body));
        using var redeemed = await Cluster.RedeemAsync(http, body, credential, "wait=90");
        var job = JsonNode.Parse(await redeemed.Content.ReadAsStringAsync())!;
        Assert.True(redeemed.IsSuccessStatusCode, job.ToJsonString());
        Assert.Equal("COMPLETED", job["status"]!.GetValue<string>());
        var video = Path.Combine(_folder, "video.mp4");
        await File.WriteAllBytesAsync(video, await http.GetByteArrayAsync(job["videoUrl"]!.GetValue<string>()));
        Assert.Equal(3.0, (await Ffprobe.ProbeAsync(video)).DurationSeconds, 1);

        Assert.Contains("<title>", await http.GetStringAsync("/"));
        using var console = await http.GetAsync("/admin/sign-in");
        Assert.True(console.IsSuccessStatusCode);
        Assert.True(File.Exists(Path.Combine(_folder, "data", "admin.key")));
    }
}
