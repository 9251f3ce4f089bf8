using System.Diagnostics;
using SatsMotion.Testing;

namespace SatsMotion.Backends.Tests.Scale;

/// <summary>A database or bucket setting that cannot work stops the start with one line naming it, and no secret.</summary>
public sealed class StartupTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("startup-").FullName;

    private Task<(int Exit, string Stderr)> StartAsync(string variable, string value)
    {
        var start = new ProcessStartInfo("dotnet", [typeof(Program).Assembly.Location, "--data", _data, "--urls", $"http://127.0.0.1:{LoopbackPorts.Free()}"]);
        start.Environment[variable] = value;
        return ServerProcess.RunUntilExitAsync(start, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task An_unreachable_database_exits_3_naming_it_without_its_password()
    {
        var (exit, stderr) = await StartAsync("SATSMOTION_DATABASE", $"Host=127.0.0.1;Port={LoopbackPorts.Free()};Username=satsmotion;Password=HUNTER2;Database=videos");
        Assert.Equal(3, exit);
        Assert.Contains("the database (PostgreSQL, 127.0.0.1:", stderr);
        Assert.DoesNotContain("HUNTER2", stderr);
    }

    [Fact]
    public async Task A_malformed_database_setting_exits_2()
    {
        var (exit, stderr) = await StartAsync("SATSMOTION_DATABASE", "Hostess=db;Colour=blue");
        Assert.Equal(2, exit);
        Assert.Contains("SatsMotion:Database is not a PostgreSQL connection string", stderr);
    }

    [Fact]
    public async Task A_bad_storage_setting_or_role_exits_2_naming_it()
    {
        var (exit, stderr) = await StartAsync("SATSMOTION_STORAGE", "type=s3;bucket=videos;secretkey=HUNTER2");
        Assert.Equal(2, exit);
        Assert.Contains("give both accesskey and secretkey", stderr);
        Assert.DoesNotContain("HUNTER2", stderr);

        (exit, stderr) = await StartAsync("SATSMOTION_ROLE", "gpu");
        Assert.Equal(2, exit);
        Assert.Contains("--role must be api, worker or all, not 'gpu'", stderr);
    }

    public void Dispose() => Directory.Delete(_data, true);
}
