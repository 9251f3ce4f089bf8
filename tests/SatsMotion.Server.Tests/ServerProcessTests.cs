using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SatsMotion.Testing;

namespace SatsMotion.Server.Tests;

/// <summary>The built server as its own process, started the way a service manager would: from another directory.</summary>
public sealed class ServerProcessTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("server-process-").FullName;

    [Fact]
    public async Task Started_from_another_directory_it_still_serves_its_web_page_and_reads_its_settings()
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { typeof(Program).Assembly.Location, "--data", Path.Combine(_directory, "data"), "--urls", $"http://127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(argument);
        }

        using var server = Process.Start(start)!;
        var output = server.StandardOutput.ReadToEndAsync();
        _ = server.StandardError.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await ServerHealth.WaitAsync(http, TimeSpan.FromSeconds(15));

            using var page = await http.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("<html", await page.Content.ReadAsStringAsync());
        }
        finally
        {
            server.Kill(true);
            await server.WaitForExitAsync();
        }

        // The content root (where appsettings.json is read from) is the program's folder, not the working directory.
        Assert.Contains("Content root path: " + AppContext.BaseDirectory, await output);
    }

    public void Dispose() => Directory.Delete(_directory, true);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
