using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using SatsMotion.Testing;
using SkiaSharp;

namespace SatsMotion.Bench;

/// <summary>
/// The first clip a fresh server process makes against its warm clips, in the server itself: the release (scripts/publish:
/// one ReadyToRun executable) and the same server run by `dotnet` from a Release build (compiled at run time), each
/// started fresh three times, each making three 5 s clips of a 1920×1080 photo in turn. A clip's time is its run in the
/// worker (claimed to finished, from the console's job timeline), so the HTTP round trips do not count.
/// </summary>
public static class FirstClipBench
{
    private const int Processes = 3;
    private const int ClipsPerProcess = 3;

    public static async Task RunAsync(string dir)
    {
        var release = Environment.GetEnvironmentVariable("SATSMOTION_RELEASE") ?? await PublishAsync(dir);
        var photo = Convert.ToBase64String(TestImages.Encode(BenchImages.Photo(1920, 1080), SKEncodedImageFormat.Jpeg, 90));
        var body = new JsonObject { ["prompt"] = "slow zoom in", ["duration"] = 5, ["image"] = photo }.ToJsonString();
        var table = new ResultTable("server", "first clip s", "warm clip s", "first / warm", "target <= 1.1x");
        foreach (var (name, start) in new (string, Func<string, Uri, ProcessStartInfo>)[]
        {
            ("release (ReadyToRun, single file)", (data, address) => new ProcessStartInfo(Path.Combine(release, "satsmotion"), ["--data", data, "--urls", Url(address)])),
            ("dotnet SatsMotion.Server.dll (JIT)", (data, address) => new ProcessStartInfo("dotnet", [typeof(SatsMotion.Server.ServerVersion).Assembly.Location, "--data", data, "--urls", Url(address)])),
        })
        {
            var first = new List<double>();
            var warm = new List<double>();
            for (var i = 0; i < Processes; i++)
            {
                var clips = await ClipsOfAFreshProcessAsync(start, body, Path.Combine(dir, $"data-{Guid.NewGuid():N}"));
                first.Add(clips[0]);
                warm.AddRange(clips.Skip(1));
            }

            var ratio = Median(first) / Median(warm);
            table.Add(name, F(Median(first)), F(Median(warm)), F(ratio) + "x", name.StartsWith("release", StringComparison.Ordinal) ? (ratio <= 1.1 ? "met" : "NOT met") : "-");
        }

        Console.WriteLine();
        Console.WriteLine($"In the server: {Processes} fresh processes each, {ClipsPerProcess} clips of 5 s from a 1920x1080 JPEG each; medians");
        table.Print();
    }

    private static async Task<string> PublishAsync(string dir)
    {
        var output = Path.Combine(dir, "release");
        await RunToEndAsync(Path.Combine(RepositoryPaths.Root, "scripts", "publish"), ["--rid", "linux-x64", "--out", output]);
        var archive = Directory.GetFiles(output, "*.tar.gz").Single();
        await RunToEndAsync("tar", ["-xzf", archive, "-C", output]);
        return Directory.GetDirectories(output).Single();
    }

    private static async Task<List<double>> ClipsOfAFreshProcessAsync(Func<string, Uri, ProcessStartInfo> start, string body, string data)
    {
        var address = new Uri($"http://127.0.0.1:{LoopbackPorts.Free()}");
        await using var server = await ServerProcess.StartAsync(start(data, address), address, TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };
        var key = (await File.ReadAllTextAsync(Path.Combine(data, "admin.key"))).Trim();
        var seconds = new List<double>();
        for (var clip = 0; clip < ClipsPerProcess; clip++)
        {
            // A new prompt each time: a new request, a new token, a new clip.
            var request = JsonNode.Parse(body)!;
            request["prompt"] = $"slow zoom in, take {clip}";
            var text = request.ToJsonString();
            using var challenge = await http.PostAsync("/api/l402/animate-image", new StringContent(text, Encoding.UTF8, "application/json"));
            var issued = (await challenge.Content.ReadFromJsonAsync<JsonNode>())!;
            using var paid = await http.PostAsJsonAsync("/api/dev/pay", new { invoice = issued["invoice"]!.GetValue<string>() });
            var preimage = (await paid.Content.ReadFromJsonAsync<JsonNode>())!["preimage"]!.GetValue<string>();
            using var redeem = new HttpRequestMessage(HttpMethod.Post, "/api/l402/animate-image") { Content = new StringContent(text, Encoding.UTF8, "application/json") };
            redeem.Headers.TryAddWithoutValidation("Authorization", $"L402 {issued["macaroon"]!.GetValue<string>()}:{preimage}");
            redeem.Headers.Add("Prefer", "wait=110");
            using var done = await http.SendAsync(redeem);
            var job = (await done.Content.ReadFromJsonAsync<JsonNode>())!;
            if (job["status"]?.GetValue<string>() != "COMPLETED")
            {
                throw new InvalidOperationException($"the clip did not complete: {job.ToJsonString()}");
            }

            using var timeline = new HttpRequestMessage(HttpMethod.Get, $"/admin/jobs/{job["jobId"]!.GetValue<string>()}");
            timeline.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            timeline.Headers.Accept.ParseAdd("application/json");
            using var facts = await http.SendAsync(timeline);
            var run = (await facts.Content.ReadFromJsonAsync<JsonNode>())!["timeline"]!;
            seconds.Add((run["finished_at"]!.GetValue<DateTimeOffset>() - run["claimed_at"]!.GetValue<DateTimeOffset>()).TotalSeconds);
        }

        return seconds;
    }

    private static async Task RunToEndAsync(string file, string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { WorkingDirectory = RepositoryPaths.Root })!;
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} exited {process.ExitCode}");
        }
    }

    private static string Url(Uri address) => address.GetLeftPart(UriPartial.Authority);

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static string F(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);
}
