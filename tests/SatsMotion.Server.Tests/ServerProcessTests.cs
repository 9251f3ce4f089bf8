using System.Diagnostics;
using System.Net;
using SatsMotion.Testing;

namespace SatsMotion.Server.Tests;

/// <summary>The built server as its own process, started the way a service manager would: from another directory.</summary>
public sealed class ServerProcessTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("server-process-").FullName;

    [Fact]
    public async Task Started_from_another_directory_it_still_serves_its_web_page_and_reads_its_settings()
    {
        var address = new Uri($"http://127.0.0.1:{LoopbackPorts.Free()}");
        var start = new ProcessStartInfo("dotnet", [typeof(Program).Assembly.Location, "--data", Path.Combine(_directory, "data"), "--urls", address.GetLeftPart(UriPartial.Authority)])
        {
            WorkingDirectory = _directory,
        };
        await using var server = await ServerProcess.StartAsync(start, address, TimeSpan.FromSeconds(15));
        using var http = new HttpClient { BaseAddress = address };
        using var page = await http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<html", await page.Content.ReadAsStringAsync());

        // The content root (where appsettings.json is read from) is the program's folder, not the working directory.
        Assert.Contains("Content root path: " + AppContext.BaseDirectory, await server.StopAsync());
    }

    public void Dispose() => Directory.Delete(_directory, true);
}
