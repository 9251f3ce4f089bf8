using System.Diagnostics;
using System.Net.Sockets;

namespace SatsMotion.Testing;

/// <summary>
/// s3rver (npm, tests/interop) on loopback with one bucket: it answers S3's REST API (path-style, SigV4) and stands
/// in for S3 or MinIO, which cannot run here. It can be stopped and started again on the same port and files.
/// </summary>
public sealed class S3rverProcess : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("s3rver-").FullName;
    private readonly int _port = LoopbackPorts.Free();
    private Process? _process;

    private S3rverProcess(string bucket) => Bucket = bucket;

    public string Bucket { get; }

    public Uri Endpoint => new($"http://127.0.0.1:{_port}");

    /// <summary>The credentials s3rver accepts (its fixed pair).</summary>
    public string AccessKey => "S3RVER";

    public string SecretKey => "S3RVER";

    public static async Task<S3rverProcess> StartAsync(string bucket = "satsmotion")
    {
        var server = new S3rverProcess(bucket);
        await server.StartAgainAsync();
        return server;
    }

    public async Task StartAgainAsync()
    {
        var start = new ProcessStartInfo(Path.Combine(RepositoryPaths.Interop, "node_modules", ".bin", "s3rver"),
            ["-d", _directory, "-a", "127.0.0.1", "-p", _port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--silent", "--configure-bucket", Bucket])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryPaths.Interop,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("s3rver did not start");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", _port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(100);
            }
            catch (SocketException)
            {
                throw new InvalidOperationException($"s3rver did not listen on {_port}: {await _process.StandardError.ReadToEndAsync()}");
            }
        }
    }

    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(_directory, true);
    }
}
