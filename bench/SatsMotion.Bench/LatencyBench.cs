using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json.Nodes;
using SatsMotion.Backends.Tests.Video;
using SatsMotion.Backends.Tests.Video.ComfyUi;
using SatsMotion.Backends.Tests.Video.Fal;
using SatsMotion.Backends.Tests.Video.Replicate;
using SatsMotion.Server.Tests;
using SatsMotion.Testing;
using SatsMotion.Video.Models;
using SatsMotion.Video.Remote;

namespace SatsMotion.Bench;

/// <summary>
/// From a provider finishing a job to its caller knowing: (a) a caller waiting with Prefer: wait gets its 200, (b) the
/// event stream sends COMPLETED, (c) the completion webhook reaches a local receiver; for each provider stand-in,
/// with the provider's push and with polling only (ComfyUI's push is the end on its websocket, always there: its
/// polling-only row loses those messages). The re-hosting of the output (download, ffprobe check, remux and
/// poster of the same file from the stand-in on loopback) is timed apart, so "after download" is what push or polling adds. Then the requests a
/// caller and a worker make per job, before (polling) and after (event stream or webhook; push).
/// </summary>
public static class LatencyBench
{
    private const int Runs = 5;
    private static readonly TimeSpan ProviderLatency = TimeSpan.FromSeconds(4);

    public static async Task RunAsync(string[] args)
    {
        var runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : Runs;
        Console.WriteLine($"{runs} jobs per row, the stand-in provider taking {ProviderLatency.TotalSeconds:0} s per job; medians; times from the provider finishing");
        var latency = new ResultTable("provider", "mode", "download + check + remux", "(a) waiting caller 200", "after download", "(b) SSE COMPLETED", "after download", "(c) webhook", "after download");
        var requests = new ResultTable("provider", "mode", "worker → provider status polls / job", "caller polling every 2 s: requests / job", "caller on SSE", "caller on webhook");
        var pushedAfterDownload = new List<TimeSpan>();
        foreach (var (name, create, model, polls) in Providers())
        {
            foreach (var push in new[] { true, false })
            {
                await using var provider = create();
                await provider.StartAsync();
                provider.Latency = ProviderLatency;
                provider.DropPushes = !push; // only ComfyUI's stand-in pushes without a PublicBaseUrl
                var result = await MeasureAsync(provider, model(provider.Address), polls, push, runs);
                var mode = push ? "push" : "polling only";
                if (push)
                {
                    pushedAfterDownload.AddRange([result.Caller - result.Download, result.Events - result.Download, result.Webhook - result.Download]);
                }

                latency.Add(name, mode, Ms(result.Download), Ms(result.Caller), Ms(result.Caller - result.Download), Ms(result.Events), Ms(result.Events - result.Download),
                    Ms(result.Webhook), Ms(result.Webhook - result.Download));
                requests.Add(name, mode, result.WorkerPolls.ToString("0.0", CultureInfo.InvariantCulture), result.CallerPolls.ToString("0.0", CultureInfo.InvariantCulture),
                    $"{result.Streams:0.0} (one stream)", $"0 ({result.Deliveries:0.0} deliveries)");
            }
        }

        latency.Print();
        var worst = pushedAfterDownload.Max();
        Console.WriteLine($"target: with push, (a)-(c) within 0.3 s of the download: {(worst <= TimeSpan.FromSeconds(0.3) ? "met" : "NOT met")} (worst {Ms(worst)})");
        Console.WriteLine();
        requests.Print();
    }

    private static IEnumerable<(string Name, Func<FakeVideoProvider> Create, Func<Uri, JsonObject> Model, Func<FakeVideoProvider, int> Polls)> Providers()
    {
        yield return ("Replicate stand-in", () => new FakeReplicate(), address => new JsonObject
        {
            ["Id"] = 7,
            ["Slug"] = "remote",
            ["Backend"] = "replicate",
            ["Endpoint"] = address.ToString(),
            ["ApiKey"] = FakeReplicate.Token,
            ["ProviderModel"] = "owner/model",
            ["Durations"] = new JsonArray(3),
            ["Fps"] = 16,
        }, p => p.Requests.Count(r => r.StartsWith("GET /v1/predictions/", StringComparison.Ordinal)));
        yield return ("fal stand-in", () => new FakeFal(), address => new JsonObject
        {
            ["Id"] = 7,
            ["Slug"] = "remote",
            ["Backend"] = "fal",
            ["Endpoint"] = address.ToString(),
            ["ApiKey"] = FakeFal.Key,
            ["ProviderModel"] = "fal-ai/some-video-app",
            ["Durations"] = new JsonArray(3),
        }, p => ((FakeFal)p).RequestPaths.Count(r => r.EndsWith("/status", StringComparison.Ordinal) && !r.Contains("00000000-0000", StringComparison.Ordinal)));
        yield return ("ComfyUI stand-in", () => new FakeComfyUi(), address => new JsonObject
        {
            ["Preset"] = "comfyui/wan2.2-i2v",
            ["Id"] = 7,
            ["Slug"] = "remote",
            ["Endpoint"] = address.ToString(),
            ["Durations"] = new JsonArray(3),
        }, p =>
        {
            lock (p.Requests)
            {
                return p.Requests.Count(r => r == "GET /queue");
            }
        }
        );
    }

    private sealed record Measured(TimeSpan Download, TimeSpan Caller, TimeSpan Events, TimeSpan Webhook, double WorkerPolls, double CallerPolls, double Streams, double Deliveries);

    private sealed record Sample(TimeSpan Download, TimeSpan Caller, TimeSpan Events, TimeSpan Webhook, int Worker, int CallerRequests, int Streams, int Deliveries);

    private static async Task<Measured> MeasureAsync(FakeVideoProvider provider, JsonObject model, Func<FakeVideoProvider, int> polls, bool push, int runs)
    {
        var port = LoopbackPorts.Free();
        var directory = Directory.CreateTempSubdirectory("satsmotion-latency-").FullName;
        var settings = Path.Combine(directory, "settings.json");
        var section = new JsonObject { ["Models"] = new JsonArray(model), ["Callbacks"] = new JsonObject { ["AllowLoopback"] = true } };
        if (push)
        {
            section["PublicBaseUrl"] = $"http://127.0.0.1:{port}";
        }

        File.WriteAllText(settings, new JsonObject { ["SatsMotion"] = section }.ToJsonString());
        using var host = new TestHost(kestrel: true, kestrelPort: port, settings: new() { ["config"] = settings });
        host.StartServer();
        await using var receiver = new WebhookReceiver();
        using var http = new HttpClient { BaseAddress = host.ServerAddress, Timeout = TimeSpan.FromMinutes(2) };
        var samples = new List<Sample>();
        for (var i = 0; i < runs + 1; i++)
        {
            var sample = await OneJobAsync(host, http, provider, receiver, polls, i);
            if (i > 0)
            {
                samples.Add(sample); // the first job warms the server up
            }
        }

        Directory.Delete(directory, true);
        return new Measured(Median(samples.Select(s => s.Download)), Median(samples.Select(s => s.Caller)), Median(samples.Select(s => s.Events)),
            Median(samples.Select(s => s.Webhook)), samples.Average(s => s.Worker), samples.Average(s => s.CallerRequests), samples.Average(s => s.Streams),
            samples.Average(s => s.Deliveries));
    }

    private static async Task<Sample> OneJobAsync(TestHost host, HttpClient http, FakeVideoProvider provider, WebhookReceiver receiver,
        Func<FakeVideoProvider, int> polls, int index)
    {
        var body = JsonNode.Parse(TestHost.Body($"wave {index}", duration: 3, modelId: "remote"))!;
        body["callback_url"] = receiver.Address.ToString();
        var text = body.ToJsonString();
        var (macaroon, preimage, _) = await host.BuyAsync(text);
        var credential = TestHost.Credential(macaroon, preimage);
        var pollsBefore = polls(provider);
        var deliveriesBefore = receiver.Received.Count;
        using var started = await host.AnimateAsync(text, credential, "respond-async");
        var job = await host.JsonAsync(started);
        var jobId = job["jobId"]!.GetValue<string>();

        var caller = Task.Run(async () =>
        {
            using var waiting = await host.AnimateAsync(text, credential, "wait=60");
            return DateTimeOffset.UtcNow;
        });
        var events = Task.Run(async () =>
        {
            // A caller on the event stream opens it again (with Last-Event-ID) only if it ends early: count the opens.
            for (var streams = 1; streams < 10; streams++)
            {
                using var stream = await http.GetStreamAsync(job["events_url"]!.GetValue<string>());
                await foreach (var item in SseParser.Create(stream).EnumerateAsync())
                {
                    if (item.EventType == "status" && JsonNode.Parse(item.Data)!["status"]!.GetValue<string>() is "COMPLETED" or "FAILED")
                    {
                        return (At: DateTimeOffset.UtcNow, Streams: streams);
                    }
                }
            }

            throw new InvalidOperationException("the stream kept ending before the job");
        });
        var callerPolls = Task.Run(async () =>
        {
            // A caller that polls as poll_interval_ms says: how many requests it makes.
            var count = 0;
            while (true)
            {
                count++;
                var state = (await http.GetFromJsonAsync<JsonNode>($"/api/l402/jobs/{jobId}"))!;
                if (state["status"]!.GetValue<string>() is "COMPLETED" or "FAILED")
                {
                    return count;
                }

                await Task.Delay(state["poll_interval_ms"]!.GetValue<int>());
            }
        });
        var delivered = (await receiver.WaitForAsync(deliveriesBefore + 1, TimeSpan.FromMinutes(2)))[deliveriesBefore].At;
        var finishedAt = provider.LastSubmittedAt + ProviderLatency;
        var download = await DownloadTimeAsync(provider);
        var callerAt = await caller;
        var (eventsAt, streams) = await events;
        var callerRequests = await callerPolls;
        return new Sample(download, callerAt - finishedAt, eventsAt - finishedAt, delivered - finishedAt, polls(provider) - pollsBefore, callerRequests, streams,
            receiver.Received.Count - deliveriesBefore);
    }

    // What re-hosting spends on the output once it is known: the same 3 s MP4 fetched from the stand-in on loopback,
    // checked with ffprobe, remuxed and given a poster by the server's own OutputRehoster.
    private static async Task<TimeSpan> DownloadTimeAsync(FakeVideoProvider provider)
    {
        using var http = new HttpClient();
        var directory = Directory.CreateTempSubdirectory("satsmotion-rehost-").FullName;
        var job = new VideoJob("bench", "", "", 3, 0, Path.Combine(directory, "video.mp4"), Path.Combine(directory, "poster.jpg"));
        var clock = Stopwatch.StartNew();
        await new OutputRehoster(http, OutputRehoster.DefaultMaxBytes, TimeSpan.FromMinutes(1))
            .StoreAsync(new ProviderOutput(new Uri(provider.Address, "outputs/video.mp4")), job, CancellationToken.None);
        var elapsed = clock.Elapsed;
        Directory.Delete(directory, true);
        return elapsed;
    }

    private static TimeSpan Median(IEnumerable<TimeSpan> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static string Ms(TimeSpan value) => $"{value.TotalMilliseconds:0.0} ms";
}
