using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SatsMotion.Testing;
using SkiaSharp;

namespace SatsMotion.Bench;

/// <summary>
/// The paid API on loopback, against the Release server in its own process: (1) a trivial endpoint (/healthz) and
/// (2) 402 challenges, both with wrk (Debian package "wrk"), the 402s measured with both schemes (L402 and the
/// Payment scheme, the default) and, from a second server, with L402 alone, alternately, the best of two runs each;
/// (3) first request to videoUrl for a 5 s clip, sequential;
/// (4) full paid flows (402, dev pay, redeem with Prefer: respond-async) from 16 concurrent C# clients; and the floor
/// under any 402 on this machine, from a bare host (<see cref="ChallengeFloorServer"/>) in the same run.
/// The load generator shares the machine's cores with the server, so absolute rates are a floor.
/// </summary>
public static partial class ApiBench
{
    private const string Url = "http://127.0.0.1:5499";
    private const string FloorUrl = "http://127.0.0.1:5498";
    private const string L402OnlyUrl = "http://127.0.0.1:5497";

    public static async Task RunAsync(string[] args)
    {
        MissingToolException.Require("api", "wrk", "/usr/bin/wrk");
        var root = FindRoot();
        await Exec("dotnet", ["build", "-c", "Release", "-v", "q", "--nologo", Path.Combine(root, "src", "SatsMotion.Server")]);

        var data = Directory.CreateTempSubdirectory("api-bench-").FullName;
        var l402Data = Directory.CreateTempSubdirectory("api-bench-l402-").FullName;
        try
        {
            ProcessStartInfo Server(string url, string dataDirectory, params string[] settings) => new("dotnet",
                [Path.Combine(root, "src", "SatsMotion.Server", "bin", "Release", "net10.0", "SatsMotion.Server.dll"), "--data", dataDirectory, "--urls", url, "--Logging:LogLevel:Default=Warning",
                    "--SatsMotion:RateLimits:ChallengesPerMinute=0", "--SatsMotion:RateLimits:RedemptionsPerMinute=0", .. settings]);
            await using var server = await ServerProcess.StartAsync(Server(Url, data), new Uri(Url), TimeSpan.FromSeconds(20));
            await using var l402Server = await ServerProcess.StartAsync(Server(L402OnlyUrl, l402Data, "--SatsMotion:PaymentSchemes=l402"), new Uri(L402OnlyUrl), TimeSpan.FromSeconds(20));
            using var http = new HttpClient { BaseAddress = new Uri(Url) };
            var tiny = Body(TestImages.Encode(TestImages.Gradient(64, 36), SKEncodedImageFormat.Png), "slow zoom in");
            var bodyFile = Path.Combine(data, "post.lua");
            await File.WriteAllTextAsync(bodyFile, $"wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = [[{tiny}]]\n");

            // Warm-up runs first, so both are measured on tier-1 JIT code as a running server would be.
            await WrkAsync("/healthz", null, "3s");
            await WrkAsync("/api/l402/animate-image", bodyFile, "3s");
            await WrkAsync("/api/l402/animate-image", bodyFile, "3s", L402OnlyUrl);
            var trivial = await WrkAsync("/healthz", null);
            var (challenges, l402Only) = (0.0, 0.0);
            for (var round = 0; round < 2; round++)
            {
                challenges = Math.Max(challenges, await WrkAsync("/api/l402/animate-image", bodyFile));
                l402Only = Math.Max(l402Only, await WrkAsync("/api/l402/animate-image", bodyFile, url: L402OnlyUrl));
            }

            await l402Server.StopAsync();
            var floor = await MeasureFloorAsync(http, tiny, data);
            var photo = TestImages.Encode(BenchImages.Photo(1920, 1080), SKEncodedImageFormat.Jpeg, 90);
            var latencies = new List<double>();
            for (var i = 0; i < 5; i++)
            {
                latencies.Add(await FirstRequestToVideoAsync(http, Body(photo, $"slow zoom in, take {i}")));
            }

            var flows = await PaidFlowsAsync(tiny, TimeSpan.FromSeconds(10), 16);

            var table = new ResultTable("measure", "value", "vs trivial", "target", "met");
            table.Add("trivial endpoint GET /healthz (req/s)", F(trivial, 0), "1.00", "-", "-");
            table.Add("402 challenges POST, L402 + Payment (req/s)", F(challenges, 0), F(challenges / trivial, 2), ">= 2000 and >= 0.50", challenges >= 2000 && challenges / trivial >= 0.5 ? "yes" : "NO");
            table.Add("402 challenges POST, L402 alone (req/s)", F(l402Only, 0), F(l402Only / trivial, 2), "-", "-");
            var secondChallenge = 1 - (challenges / l402Only);
            table.Add("cost of the Payment challenge (1 - both / L402 alone)", F(secondChallenge * 100, 1) + " %", "-", "<= 10 %", secondChallenge <= 0.10 ? "yes" : "NO");
            table.Add("floor: bare ASP.NET Core GET (req/s)", F(floor.Trivial, 0), F(floor.Trivial / trivial, 2), "-", "-");
            table.Add("floor: bare POST, the same 402 bytes (req/s)", F(floor.Fixed, 0), F(floor.Fixed / trivial, 2), "-", "-");
            table.Add("floor: bare POST + 1 secp256k1 signature (req/s)", F(floor.Signed, 0), F(floor.Signed / trivial, 2), "-", "-");

            // Per-request costs add up: the signed bare POST plus what this server's pipeline adds to any request
            // (its trivial GET against the bare one) is the most a 402 here could reach before doing any real work.
            var ceiling = 1 / (1 / floor.Signed + 1 / trivial - 1 / floor.Trivial);
            table.Add("ceiling: signed bare POST + this server's pipeline (computed)", F(ceiling, 0), F(ceiling / trivial, 2), "-", "-");
            table.Add("full paid flows, respond-async (flows/s)", F(flows, 0), "-", "-", "-");
            table.Add("first request -> videoUrl, 5 s clip (median s)", F(latencies.Order().ElementAt(2), 2), "-", "<= 3", latencies.Order().ElementAt(2) <= 3 ? "yes" : "NO");
            table.Add("first request -> videoUrl, 5 s clip (max s)", F(latencies.Max(), 2), "-", "-", "-");
            table.Print();
        }
        finally
        {
            Directory.Delete(data, true);
            Directory.Delete(l402Data, true);
        }
    }

    private static string Body(byte[] image, string prompt) =>
        new JsonObject { ["prompt"] = prompt, ["image"] = Convert.ToBase64String(image), ["duration"] = 5 }.ToJsonString();

    private static async Task<double> WrkAsync(string path, string? script, string duration = "10s", string url = Url)
    {
        string[] arguments = ["-t2", "-c32", "-d" + duration, .. script is null ? Array.Empty<string>() : ["-s", script], url + path];
        var output = await Exec("wrk", arguments);
        var match = RequestsPerSecond().Match(output);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : throw new InvalidOperationException("wrk printed no rate:\n" + output);
    }

    /// <summary>
    /// The bare host's rates in the same run, on the same cores: what a 402 costs before any of the real
    /// endpoint's work, with and without the invoice's one signature.
    /// </summary>
    private static async Task<(double Trivial, double Fixed, double Signed)> MeasureFloorAsync(HttpClient http, string body, string dir)
    {
        using var real = await http.PostAsync("/api/l402/animate-image", new StringContent(body, Encoding.UTF8, "application/json"));
        var (headerFile, bodyFile, requestScript) = (Path.Combine(dir, "402.header"), Path.Combine(dir, "402.json"), Path.Combine(dir, "post.lua"));
        await File.WriteAllTextAsync(headerFile, real.Headers.WwwAuthenticate.ToString());
        await File.WriteAllBytesAsync(bodyFile, await real.Content.ReadAsByteArrayAsync());
        var (tool, self) = BenchSelf.Command;
        var start = new ProcessStartInfo(tool, [.. self, "api-floor", FloorUrl, headerFile, bodyFile]);
        start.Environment["DOTNET_gcServer"] = "1";
        await using var floor = await ServerProcess.StartAsync(start, new Uri(FloorUrl), TimeSpan.FromSeconds(20));
        await WrkAsync(ChallengeFloorServer.TrivialPath, null, "3s", FloorUrl);
        await WrkAsync(ChallengeFloorServer.SignedPath, requestScript, "3s", FloorUrl);
        return (await WrkAsync(ChallengeFloorServer.TrivialPath, null, url: FloorUrl),
            await WrkAsync(ChallengeFloorServer.FixedPath, requestScript, url: FloorUrl),
            await WrkAsync(ChallengeFloorServer.SignedPath, requestScript, url: FloorUrl));
    }

    private static async Task<double> FirstRequestToVideoAsync(HttpClient http, string body)
    {
        var watch = Stopwatch.StartNew();
        var (macaroon, preimage) = await BuyAsync(http, body);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/l402/animate-image") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", $"L402 {macaroon}:{preimage}");
        using var response = await http.SendAsync(request);
        var json = (await response.Content.ReadFromJsonAsync<JsonNode>())!;
        return json["videoUrl"] is null ? throw new InvalidOperationException("no videoUrl: " + json) : watch.Elapsed.TotalSeconds;
    }

    private static async Task<double> PaidFlowsAsync(string body, TimeSpan duration, int concurrency)
    {
        var done = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            using var http = new HttpClient { BaseAddress = new Uri(Url) };
            while (watch.Elapsed < duration)
            {
                var (macaroon, preimage) = await BuyAsync(http, body);
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/l402/animate-image") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.TryAddWithoutValidation("Authorization", $"L402 {macaroon}:{preimage}");
                request.Headers.Add("Prefer", "respond-async");
                using var response = await http.SendAsync(request);
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException("redeem failed: " + await response.Content.ReadAsStringAsync());
                }

                Interlocked.Increment(ref done);
            }
        }));
        return done / watch.Elapsed.TotalSeconds;
    }

    private static async Task<(string Macaroon, string Preimage)> BuyAsync(HttpClient http, string body)
    {
        using var challenge = await http.PostAsync("/api/l402/animate-image", new StringContent(body, Encoding.UTF8, "application/json"));
        var json = (await challenge.Content.ReadFromJsonAsync<JsonNode>())!;
        using var pay = await http.PostAsJsonAsync("/api/dev/pay", new { invoice = json["invoice"]!.GetValue<string>() });
        return (json["macaroon"]!.GetValue<string>(), (await pay.Content.ReadFromJsonAsync<JsonNode>())!["preimage"]!.GetValue<string>());
    }

    internal static async Task<string> Exec(string tool, string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(tool, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? await stdout : throw new InvalidOperationException($"{tool} failed: {await stderr}");
    }

    private static string FindRoot() => SatsMotion.Testing.RepositoryPaths.Root;

    private static string F(double value, int decimals) => value.ToString("F" + decimals, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"Requests/sec:\s+([0-9.]+)")]
    private static partial Regex RequestsPerSecond();
}
