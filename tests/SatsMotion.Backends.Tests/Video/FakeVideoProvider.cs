using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SatsMotion.Backends.Tests.Video;

/// <summary>What a fake provider does with the jobs it is asked to run.</summary>
public enum ProviderMode
{
    /// <summary>Jobs succeed at the next look, with a real 3 s MP4 as output.</summary>
    Normal,

    /// <summary>Jobs stay running until the mode changes (a job longer than the caller's wait).</summary>
    Hold,

    /// <summary>Jobs fail with the provider's error.</summary>
    Fail,

    /// <summary>Jobs fail on content grounds (the provider's safety filter).</summary>
    ContentFilter,

    /// <summary>Answers that do not follow the provider's own schema.</summary>
    Malformed,

    /// <summary>Jobs succeed but their output URL answers 404.</summary>
    OutputMissing,

    /// <summary>Jobs succeed but their output is a PNG, not a video.</summary>
    OutputNotVideo,
}

/// <summary>
/// The common part of every fake video provider: Kestrel on loopback, the jobs submitted, the mode, and the output
/// files it serves (a real 3 s H.264 MP4 made once by ffmpeg, a PNG, or nothing). Each subclass maps its provider's
/// published API and decides its answers from <see cref="Mode"/>.
/// </summary>
public abstract class FakeVideoProvider : IAsyncDisposable
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, Lazy<Task<byte[]>>> Samples = new();
    private WebApplication? _app;
    private int _submissions;
    private int _outputDownloads;

    public ProviderMode Mode { get; set; }

    /// <summary>In <see cref="ProviderMode.Normal"/>, a job is still running until it is this old (a model's fixed latency).</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>When set, the output is sent in ten pieces this far apart (a download a crash can interrupt).</summary>
    public TimeSpan OutputDelay { get; set; }

    /// <summary>Slow output downloads started.</summary>
    public int OutputDownloads => _outputDownloads;

    public Uri Address { get; private set; } = null!;

    /// <summary>Jobs submitted (each one is money the operator pays the provider).</summary>
    public int Submissions => _submissions;

    /// <summary>Every request that reached the provider, as "METHOD /path".</summary>
    public List<string> Requests { get; } = [];

    /// <summary>The same requests with the time each arrived.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<(DateTimeOffset At, string Request)> Timeline { get; } = new();

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.Use(async (context, next) =>
        {
            lock (Requests)
            {
                Requests.Add($"{context.Request.Method} {context.Request.Path}");
            }

            Timeline.Enqueue((DateTimeOffset.UtcNow, $"{context.Request.Method} {context.Request.Path}"));

            await next(context);
        });
        _app.MapGet("/outputs/{name}", async (string name, HttpContext context) => name switch
        {
            "video.mp4" when OutputDelay > TimeSpan.Zero => await SlowlyAsync(context, await SampleAsync(3)),
            _ when await OutputBytesAsync(name) is { } bytes => Results.Bytes(bytes, name.EndsWith(".png", StringComparison.Ordinal) ? "image/png" : "video/mp4"),
            _ => Results.NotFound(),
        });
        Map(_app);
        await _app.StartAsync();
        var address = _app.Urls.Single();
        Address = new Uri(address.EndsWith('/') ? address : address + "/");
    }

    protected abstract void Map(WebApplication app);

    private async Task<IResult> SlowlyAsync(HttpContext context, byte[] video)
    {
        Interlocked.Increment(ref _outputDownloads);
        context.Response.ContentType = "video/mp4";
        context.Response.ContentLength = video.Length;
        var piece = video.Length / 10 + 1;
        for (var offset = 0; offset < video.Length; offset += piece)
        {
            await context.Response.Body.WriteAsync(video.AsMemory(offset, Math.Min(piece, video.Length - offset)), context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await Task.Delay(OutputDelay, context.RequestAborted);
        }

        return Results.Empty;
    }

    private static readonly HttpClient PushClient = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly List<int> _pushAnswers = [];

    /// <summary>Pushes are made but never sent (lost on the way): the server must find the end by polling.</summary>
    public bool DropPushes { get; set; }

    /// <summary>The status the server answered each push with.</summary>
    public IReadOnlyList<int> PushAnswers
    {
        get
        {
            lock (_pushAnswers)
            {
                return [.. _pushAnswers];
            }
        }
    }

    /// <summary>When the last push was answered (the provider's "finished" moment is just before).</summary>
    public DateTimeOffset? LastPushAt { get; private set; }

    /// <summary>When the last push was sent.</summary>
    public DateTimeOffset? LastPushSentAt { get; private set; }

    /// <summary>
    /// The provider's webhook: once a job created at <paramref name="createdAt"/> is done (its <see cref="Latency"/>
    /// passed), the subclass makes the signed request and it is sent, as the provider's servers would.
    /// </summary>
    protected void PushWhenDone(DateTimeOffset createdAt, Func<HttpRequestMessage?> push) => _ = Task.Run(async () =>
    {
        var wait = createdAt + Latency - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait); // the model's running time, not a test's wait
        }

        using var request = push();
        if (request is null || DropPushes)
        {
            return;
        }

        try
        {
            LastPushSentAt = DateTimeOffset.UtcNow;
            using var response = await PushClient.SendAsync(request);
            lock (_pushAnswers)
            {
                _pushAnswers.Add((int)response.StatusCode);
            }

            LastPushAt = DateTimeOffset.UtcNow;
        }
        catch (HttpRequestException)
        {
            // The receiver is gone (the test ended): a real provider would retry; nobody is listening.
        }
    });

    /// <summary>Counts a submission; the subclass then records the job its own way.</summary>
    protected void CountSubmission()
    {
        LastSubmittedAt = DateTimeOffset.UtcNow;
        Interlocked.Increment(ref _submissions);
    }

    /// <summary>When the last job was submitted: in <see cref="ProviderMode.Normal"/> it is done <see cref="Latency"/> later.</summary>
    public DateTimeOffset LastSubmittedAt { get; private set; }

    /// <summary>Where a finished job's output is, by the mode at the moment the job is looked at: a video of about <paramref name="seconds"/>.</summary>
    protected Uri OutputUrl(double seconds = 3) => new(Address, Mode switch
    {
        ProviderMode.OutputMissing => "outputs/gone.mp4",
        ProviderMode.OutputNotVideo => "outputs/still.png",
        _ when Math.Round(seconds) == 3 => "outputs/video.mp4",
        _ => $"outputs/video-{(int)Math.Round(seconds)}s.mp4",
    });

    /// <summary>
    /// When set, the provider publishes this model's schema changed (a new version of the model after the server
    /// started): the fake serves and enforces the changed one.
    /// </summary>
    public Action<string, JsonObject>? SchemaChange { get; set; }

    /// <summary>When true, what publishes the models' schemas (Replicate's model, fal's OpenAPI, ComfyUI's /object_info) answers 503.</summary>
    public bool SchemaUnavailable { get; set; }

    /// <summary>
    /// The published input schema a fake enforces for a model (Video/Schemas/{provider}/{model with '/' as "__"}.json,
    /// as <see cref="SchemaChange"/> leaves it), or null when none is kept for it: then it takes any input.
    /// </summary>
    protected JsonObject? PublishedSchema(string provider, string model)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Video", "Schemas", provider, model.Replace("/", "__", StringComparison.Ordinal) + ".json");
        if (!File.Exists(path))
        {
            return null;
        }

        var schema = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        SchemaChange?.Invoke(model, schema);
        return schema;
    }

    /// <summary>
    /// One way an input breaks a published schema: the property, the JSON Schema keyword it fails, that property's
    /// rule (its own keywords with those of the components it refers to) and the value sent (null when missing).
    /// Each fake words it as its provider does.
    /// </summary>
    protected sealed record Violation(string Field, string Keyword, JsonObject Rule, JsonNode? Value);

    /// <summary>What in <paramref name="input"/> breaks the component <paramref name="componentPointer"/> of an OpenAPI <paramref name="document"/>.</summary>
    protected static IReadOnlyList<Violation> Violations(JsonObject document, string componentPointer, JsonObject input)
    {
        var schema = SatsMotion.Video.Remote.InputPreflight.FromOpenApi(document, componentPointer);
        var result = schema.Evaluate(System.Text.Json.JsonDocument.Parse(input.ToJsonString()).RootElement, new Json.Schema.EvaluationOptions { OutputFormat = Json.Schema.OutputFormat.List });
        if (result.IsValid)
        {
            return [];
        }

        var component = Component(document, componentPointer);
        var found = new List<Violation>();
        foreach (var (pointer, keyword, _) in SatsMotion.Video.Remote.InputPreflight.Failures(result))
        {
            if (keyword == "required")
            {
                found.AddRange((component["required"] as JsonArray ?? []).Select(r => r!.GetValue<string>()).Where(r => !input.ContainsKey(r))
                    .Select(missing => new Violation(missing, keyword, Rule(document, component, missing), null)));
                continue;
            }

            var field = pointer.TrimStart('/');
            found.Add(new Violation(field, keyword, Rule(document, component, field), input[field]?.DeepClone()));
        }

        return found.DistinctBy(v => (v.Field, v.Keyword)).ToList();
    }

    private static JsonObject Component(JsonObject document, string pointer) =>
        document["components"]!["schemas"]![pointer[(pointer.LastIndexOf('/') + 1)..]]!.AsObject();

    // A property's keywords, with those of the components its allOf or $ref names and of its first non-null anyOf branch.
    private static JsonObject Rule(JsonObject document, JsonObject component, string field)
    {
        var rule = new JsonObject();
        void Merge(JsonNode? part)
        {
            if (part is not JsonObject keywords)
            {
                return;
            }

            foreach (var (key, value) in keywords)
            {
                switch (key)
                {
                    case "$ref":
                        Merge(Component(document, value!.GetValue<string>()));
                        break;
                    case "allOf":
                        value!.AsArray().ToList().ForEach(Merge);
                        break;
                    case "anyOf":
                        Merge(value!.AsArray().FirstOrDefault(b => b?["type"]?.ToString() != "null"));
                        break;
                    default:
                        rule.TryAdd(key, value?.DeepClone());
                        break;
                }
            }
        }

        Merge(component["properties"]?[field]);
        return rule;
    }

    /// <summary>A JSON value's type as JSON Schema names it (a whole number is an integer).</summary>
    protected static string JsonType(JsonNode? value) => value?.GetValueKind() switch
    {
        System.Text.Json.JsonValueKind.String => "string",
        System.Text.Json.JsonValueKind.Number => decimal.TryParse(value.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number) && number == decimal.Truncate(number) ? "integer" : "number",
        System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => "boolean",
        System.Text.Json.JsonValueKind.Array => "array",
        System.Text.Json.JsonValueKind.Object => "object",
        _ => "null",
    };

    /// <summary>How long a video the input asks for: a duration, or frames at a rate; 3 s when it says neither.</summary>
    protected static double AskedSeconds(JsonNode input, int defaultFps = 16)
    {
        static double? Number(JsonNode? value) => value?.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.Number => value.GetValue<double>(),
            System.Text.Json.JsonValueKind.String when double.TryParse(value.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => null,
        };
        return Number(input["duration"]) ?? (Number(input["num_frames"]) / (Number(input["frames_per_second"]) ?? Number(input["fps"]) ?? defaultFps)) ?? 3;
    }

    /// <summary>The bytes behind an output name: video.mp4 (3 s), video-{n}s.mp4, still.png; null for any other.</summary>
    protected static async Task<byte[]?> OutputBytesAsync(string name) => name switch
    {
        "video.mp4" => await SampleAsync(3),
        "still.png" => SatsMotion.Testing.TestImages.Encode(SatsMotion.Testing.TestImages.Gradient(64, 64), SkiaSharp.SKEncodedImageFormat.Png),
        _ when name.StartsWith("video-", StringComparison.Ordinal) && name.EndsWith("s.mp4", StringComparison.Ordinal)
            && int.TryParse(name["video-".Length..^"s.mp4".Length], out var seconds) => await SampleAsync(seconds),
        _ => null,
    };

    private static Task<byte[]> SampleAsync(int seconds) => Samples.GetOrAdd(seconds, s => new Lazy<Task<byte[]>>(() => MakeSampleAsync(s))).Value;

    protected static string? Header(HttpContext context, string name) => context.Request.Headers.TryGetValue(name, out var value) ? value.ToString() : null;

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    private static async Task<byte[]> MakeSampleAsync(int seconds)
    {
        var path = Path.Combine(Path.GetTempPath(), $"satsmotion-sample-{Guid.NewGuid():N}.mp4");
        var start = new ProcessStartInfo("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", $"testsrc=duration={seconds}:size=320x240:rate=24", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-y", path])
        {
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        await process.WaitForExitAsync();
        var bytes = await File.ReadAllBytesAsync(path);
        File.Delete(path);
        return bytes;
    }
}
