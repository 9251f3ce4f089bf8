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
        var image = TestImages.Encode(TestImages.Gradient(640, 360), SKEncodedImageFormat.Jpeg);
        var samples = new ConcurrentQueue<(double Seconds, long RssKb, int Files)>();
        var clock = Stopwatch.StartNew();
        using var sampling = new CancellationTokenSource();
        var sampler = SampleAsync(server.ProcessId, clock, samples, sampling.Token);
        await Task.Delay(1000);
        var before = Resources(server.ProcessId);

        // Two identical rounds: what the second leaves behind beyond the first is what a leak would be.
        var table = new ResultTable("measure", "round 1", "round 2");
        var rounds = new List<Round>();
        for (var round = 0; round < 2; round++)
        {
            rounds.Add(await RoundAsync(image, callers, round, clock));
            await Task.Delay(TimeSpan.FromSeconds(10)); // the clients are gone: idle connections close, caches settle
            rounds[^1] = rounds[^1] with { After = Resources(server.ProcessId) };
        }

        await sampling.CancelAsync();
        await sampler;
        var output = await server.StopAsync();
        var completions = CompletedPattern().Matches(output).Select(m => m.Groups[1].Value).ToList();

        void Row(string measure, Func<Round, string> cell) => table.Add(measure, cell(rounds[0]), cell(rounds[1]));
        Row("valid callers / flows completed", r => $"{callers} / {r.JobIds.Count}");
        Row("paid flows per second", r => F(r.JobIds.Count / r.Elapsed.TotalSeconds, 2));
        foreach (var step in rounds[0].Steps.Keys.Order())
        {
            Row($"{step}: p50 / p99 (s)", r => $"{F(Percentile(r.Steps[step].Order().ToList(), 0.50), 3)} / {F(Percentile(r.Steps[step].Order().ToList(), 0.99), 3)}");
        }

        Row("errors seen by valid callers (target 0)", r => r.Errors.Count.ToString(CultureInfo.InvariantCulture));
        Row("flooder requests / 429s served to it", r => $"{r.Flooded} / {r.Limited}");
        Row("server RSS MB / open files after the round", r => $"{r.After.RssKb / 1024} / {r.After.Files}");
        table.Print();
        var jobs = rounds.SelectMany(r => r.JobIds).ToList();
        Console.WriteLine($"duplicated jobs (target 0): {jobs.Count - jobs.Distinct().Count() + completions.Count - completions.Distinct().Count()}");
        Console.WriteLine($"server before: {before.RssKb / 1024} MB, {before.Files} open files; peak: {samples.Max(x => x.RssKb) / 1024} MB, {samples.Max(x => x.Files)} files");
        Console.WriteLine($"growth from round 1 to round 2 (target ~0): {(rounds[1].After.RssKb - rounds[0].After.RssKb) / 1024} MB, {rounds[1].After.Files - rounds[0].After.Files} open files");
        foreach (var error in rounds.SelectMany(r => r.Errors).Distinct().Take(5))
        {
            Console.WriteLine($"  error: {error}");
        }

        Directory.Delete(data, true);
    }

    private sealed record Round(TimeSpan Elapsed, ConcurrentDictionary<string, ConcurrentBag<double>> Steps, ConcurrentBag<string> Errors, ConcurrentBag<string> JobIds, int Flooded, int Limited)
    {
        public (long RssKb, int Files) After { get; init; }
    }

    private static async Task<Round> RoundAsync(byte[] image, int callers, int round, Stopwatch clock)
    {
        using var http = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromMinutes(10) };
        using var flooding = new CancellationTokenSource();
        var flood = FloodAsync(http, image, flooding.Token);
        var steps = new ConcurrentDictionary<string, ConcurrentBag<double>>();
        var errors = new ConcurrentBag<string>();
        var jobIds = new ConcurrentBag<string>();
        var started = clock.Elapsed;
        await Task.WhenAll(Enumerable.Range(0, callers).Select(i => CallerAsync(http, image, round * callers + i, steps, errors, jobIds)));
        var elapsed = clock.Elapsed - started;
        await flooding.CancelAsync();
        var (flooded, limited) = await flood;
        return new Round(elapsed, steps, errors, jobIds, flooded, limited);
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
