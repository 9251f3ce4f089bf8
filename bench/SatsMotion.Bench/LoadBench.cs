using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SatsMotion.Testing;
using SkiaSharp;

namespace SatsMotion.Bench;

/// <summary>
/// Load on loopback against the Release server in its own process, bounded in count and time: 200 callers (each its
/// own address, as behind a trusted proxy) doing the full paid flow for a 3 s clip, while one address floods bad
/// credentials and unpaid challenges. Reports throughput, p50/p99 per step, errors seen by valid callers, duplicated
/// jobs, 429s served to the flooder, and the server's memory and open files before, during and after.
/// </summary>
public static partial class LoadBench
{
    private const string Url = "http://127.0.0.1:5497";
    private const int Callers = 200;
    private const string FlooderAddress = "198.51.100.66";

    public static async Task RunAsync(string[] args)
    {
        var callers = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : Callers;
        var root = RepositoryPaths.Root;
        await ApiBench.Exec("dotnet", ["build", "-c", "Release", "-v", "q", "--nologo", Path.Combine(root, "src", "SatsMotion.Server")]);
        var data = Directory.CreateTempSubdirectory("load-bench-").FullName;
        await using var server = await ServerProcess.StartAsync(new ProcessStartInfo("dotnet",
            [Path.Combine(root, "src", "SatsMotion.Server", "bin", "Release", "net10.0", "SatsMotion.Server.dll"), "--data", data, "--urls", Url,
                "--SatsMotion:TrustedProxies:0=127.0.0.1", "--SatsMotion:Workers=2", "--SatsMotion:MaxWait=00:10:00"]),
            new Uri(Url), TimeSpan.FromSeconds(20));
        using var http = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromMinutes(10) };
        http.DefaultRequestHeaders.ConnectionClose = false;
        var image = TestImages.Encode(TestImages.Gradient(640, 360), SKEncodedImageFormat.Jpeg);

        var samples = new ConcurrentQueue<(double Seconds, long RssKb, int Files)>();
        var clock = Stopwatch.StartNew();
        using var sampling = new CancellationTokenSource();
        var sampler = SampleAsync(server.ProcessId, clock, samples, sampling.Token);
        await Task.Delay(1000);
        var before = Resources(server.ProcessId);

        using var flooding = new CancellationTokenSource();
        var flood = FloodAsync(http, image, flooding.Token);
        var steps = new ConcurrentDictionary<string, ConcurrentBag<double>>();
        var errors = new ConcurrentBag<string>();
        var jobIds = new ConcurrentBag<string>();
        var started = clock.Elapsed;
        await Task.WhenAll(Enumerable.Range(0, callers).Select(i => CallerAsync(http, image, i, steps, errors, jobIds)));
        var elapsed = clock.Elapsed - started;
        await flooding.CancelAsync();
        var (flooded, limited) = await flood;

        // Idle, then collect: what is still held after the run is what a leak would be.
        await Task.Delay(TimeSpan.FromSeconds(15));
        var after = Resources(server.ProcessId);
        await sampling.CancelAsync();
        await sampler;
        var output = await server.StopAsync();
        var completions = CompletedPattern().Matches(output).Select(m => m.Groups[1].Value).ToList();

        var table = new ResultTable("measure", "value");
        table.Add("valid callers / flows completed", $"{callers} / {jobIds.Count}");
        table.Add("paid flows per second", F(jobIds.Count / elapsed.TotalSeconds, 2));
        foreach (var (step, times) in steps.OrderBy(s => s.Key))
        {
            var sorted = times.Order().ToList();
            table.Add($"{step}: p50 / p99 (s)", $"{F(Percentile(sorted, 0.50), 3)} / {F(Percentile(sorted, 0.99), 3)}");
        }

        table.Add("errors seen by valid callers (target 0)", errors.Count.ToString(CultureInfo.InvariantCulture));
        table.Add("duplicated jobs (target 0)", (jobIds.Count - jobIds.Distinct().Count() + completions.Count - completions.Distinct().Count()).ToString(CultureInfo.InvariantCulture));
        table.Add("flooder requests / 429s served to it", $"{flooded} / {limited}");
        table.Add("server RSS MB: before / peak / after", $"{before.RssKb / 1024} / {samples.Max(s => s.RssKb) / 1024} / {after.RssKb / 1024}");
        table.Add("open files: before / peak / after", $"{before.Files} / {samples.Max(s => s.Files)} / {after.Files}");
        table.Print();
        foreach (var error in errors.Distinct().Take(5))
        {
            Console.WriteLine($"  error: {error}");
        }

        Directory.Delete(data, true);
    }

    private static async Task CallerAsync(HttpClient http, byte[] image, int index, ConcurrentDictionary<string, ConcurrentBag<double>> steps, ConcurrentBag<string> errors, ConcurrentBag<string> jobIds)
    {
        // Each caller is its own client behind the (trusted) proxy; the flooder's address is another.
        var address = $"10.{index / 250}.{index % 250}.{1 + (index % 200)}";
        var body = new JsonObject { ["prompt"] = $"slow zoom in, caller {index}", ["image"] = Convert.ToBase64String(image), ["duration"] = 3 }.ToJsonString();
        async Task<HttpResponseMessage> TimedAsync(string step, Func<Task<HttpResponseMessage>> send)
        {
            var watch = Stopwatch.StartNew();
            var response = await send();
            steps.GetOrAdd(step, _ => []).Add(watch.Elapsed.TotalSeconds);
            return response;
        }

        HttpRequestMessage Post(string? authorization, string? prefer)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/l402/animate-image") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("X-Forwarded-For", address);
            if (authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }

            if (prefer is not null)
            {
                request.Headers.Add("Prefer", prefer);
            }

            return request;
        }

        try
        {
            using var challenge = await TimedAsync("1 challenge (402)", () => http.SendAsync(Post(null, null)));
            var json = (await challenge.Content.ReadFromJsonAsync<JsonNode>())!;
            if (challenge.StatusCode != HttpStatusCode.PaymentRequired)
            {
                errors.Add($"challenge {(int)challenge.StatusCode} {json["error_code"]}");
                return;
            }

            using var pay = await TimedAsync("2 pay (dev wallet)", () => http.PostAsJsonAsync("/api/dev/pay", new { invoice = json["invoice"]!.GetValue<string>() }));
            var preimage = (await pay.Content.ReadFromJsonAsync<JsonNode>())!["preimage"]!.GetValue<string>();
            var credential = $"L402 {json["macaroon"]}:{preimage}";
            using var redeemed = await TimedAsync("3 redeem to video (wait)", () => http.SendAsync(Post(credential, "wait=600")));
            var job = (await redeemed.Content.ReadFromJsonAsync<JsonNode>())!;
            if (redeemed.StatusCode != HttpStatusCode.OK)
            {
                errors.Add($"redeem {(int)redeemed.StatusCode} {job["error_code"]} {job["status"]}");
                return;
            }

            using var video = await TimedAsync("4 download video", () => http.GetAsync(new Uri(job["videoUrl"]!.GetValue<string>()).PathAndQuery));
            if (!video.IsSuccessStatusCode || (await video.Content.ReadAsByteArrayAsync()).Length < 1000)
            {
                errors.Add($"video {(int)video.StatusCode}");
                return;
            }

            jobIds.Add(job["jobId"]!.GetValue<string>());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            errors.Add(e.GetType().Name + ": " + e.Message);
        }
    }

    // One address: bad credentials and unpaid challenges as fast as one connection at a time goes.
    private static async Task<(int Sent, int Limited)> FloodAsync(HttpClient http, byte[] image, CancellationToken stop)
    {
        var body = new JsonObject { ["prompt"] = "flood", ["image"] = Convert.ToBase64String(image), ["duration"] = 3 }.ToJsonString();
        int sent = 0, limited = 0;
        while (!stop.IsCancellationRequested && sent < 200_000)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/l402/animate-image") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("X-Forwarded-For", FlooderAddress);
            if (sent % 2 == 0)
            {
                request.Headers.TryAddWithoutValidation("Authorization", "L402 AgEEbHNhdAJCAAAfake:" + new string('0', 64));
            }

            try
            {
                using var response = await http.SendAsync(request, stop);
                sent++;
                limited += response.StatusCode == HttpStatusCode.TooManyRequests ? 1 : 0;
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return (sent, limited);
    }

    private static async Task SampleAsync(int pid, Stopwatch clock, ConcurrentQueue<(double, long, int)> samples, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var (rss, files) = Resources(pid);
            samples.Enqueue((clock.Elapsed.TotalSeconds, rss, files));
            try
            {
                await Task.Delay(1000, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static (long RssKb, int Files) Resources(int pid)
    {
        var rss = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return (long.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture), Directory.GetFiles($"/proc/{pid}/fd").Length);
    }

    private static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static string F(double value, int decimals) => value.ToString("F" + decimals, CultureInfo.InvariantCulture);

    [GeneratedRegex("Job ([0-9a-f]{32}): completed")]
    private static partial Regex CompletedPattern();
}
