using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SatsMotion.Backends.Tests.Video.ComfyUi;
using SatsMotion.Backends.Tests.Video.Fal;
using SatsMotion.Backends.Tests.Video.Replicate;
using SatsMotion.Server.Jobs;
using SatsMotion.Server.Tests;
using SatsMotion.Video.Models;
using SatsMotion.Video.Remote;

namespace SatsMotion.Backends.Tests.Video;

/// <summary>Every line the server logs, for tests that read what the operator would.</summary>
public sealed class LogLines : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(LogLines owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner._lines.Enqueue($"{logLevel}: {formatter(state, exception)}");
            }
        }
    }
}

/// <summary>
/// The availability check at start and every period (ModelAvailabilityMonitor), against the strict fakes and a clock
/// the test moves (a fetched schema is trusted for <see cref="InputPreflight.SchemaLifetime"/>): a schema that cannot
/// be read leaves the model selling, marked "input not checked" in the models list and logged once; a schema that
/// changes after start makes the model unavailable at the next check, with the field named, and /readyz says so;
/// ComfyUI's node definitions that cannot be read again after a good read count like the others' schemas.
/// </summary>
public sealed class ModelCheckTests : IAsyncLifetime, IDisposable
{
    private readonly FakeReplicate _replicate = new();
    private readonly FakeFal _fal = new();
    private readonly FakeComfyUi _comfyUi = new();
    private readonly ManualClock _clock = new();
    private readonly LogLines _log = new();
    private readonly string _work = Directory.CreateTempSubdirectory("satsmotion-model-check-").FullName;
    private TestHost? _host;

    public async Task InitializeAsync()
    {
        await Task.WhenAll(_replicate.StartAsync(), _fal.StartAsync(), _comfyUi.StartAsync());
        _comfyUi.Token = "comfy-proxy-token";
    }

    public async Task DisposeAsync()
    {
        await _replicate.DisposeAsync();
        await _fal.DisposeAsync();
        await _comfyUi.DisposeAsync();
    }

    public void Dispose()
    {
        _host?.Dispose();
        Directory.Delete(_work, true);
    }

    private JsonObject Entry(string preset) => preset.Split('/')[0] switch
    {
        "replicate" => new JsonObject { ["Preset"] = preset, ["Endpoint"] = _replicate.Address.ToString(), ["ApiKey"] = FakeReplicate.Token },
        "fal" => new JsonObject { ["Preset"] = preset, ["Endpoint"] = _fal.Address.ToString(), ["ApiKey"] = FakeFal.Key },
        _ => new JsonObject { ["Preset"] = preset, ["Endpoint"] = _comfyUi.Address.ToString(), ["ApiKey"] = _comfyUi.Token },
    };

    private TestHost Host(params JsonObject[] models)
    {
        var settings = Path.Combine(_work, "settings.json");
        File.WriteAllText(settings, new JsonObject { ["SatsMotion"] = new JsonObject { ["Models"] = new JsonArray(models) } }.ToJsonString());
        return _host = new TestHost(clock: _clock, settings: new() { ["config"] = settings }, services: s => s.AddSingleton<ILoggerProvider>(_log));
    }

    private static async Task<JsonNode> ModelAsync(TestHost host, string slug) =>
        (await host.JsonAsync(await host.CreateClient().GetAsync("/api/l402/models"))).AsArray().Single(m => m!["slug"]!.GetValue<string>() == slug)!;

    // The next periodic check, once the schema read at the last one is too old to trust.
    private async Task NextCheckAfterTheSchemaAgesAsync(TestHost host)
    {
        _clock.Advance(InputPreflight.SchemaLifetime + TimeSpan.FromMinutes(1));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await host.Services.GetRequiredService<ModelAvailabilityMonitor>().CheckAsync(timeout.Token);
    }

    private int NotCheckedLines(string slug) => _log.Lines.Count(l => l.Contains($"Model {slug} ", StringComparison.Ordinal) && l.Contains("input not checked", StringComparison.Ordinal));

    [Theory]
    [InlineData("replicate/wan-video/wan-2.2-i2v-fast")]
    [InlineData("fal/fal-ai/kling-video/v2.1/standard/image-to-video")]
    [InlineData("comfyui/wan2.2-i2v")]
    public async Task A_schema_that_cannot_be_read_leaves_the_model_selling_marked_input_not_checked_and_logged_once(string preset)
    {
        _replicate.SchemaUnavailable = _fal.SchemaUnavailable = _comfyUi.SchemaUnavailable = true;
        var host = Host(Entry(preset));
        var slug = ModelPresets.Find(preset)!.Slug;
        var model = await ModelAsync(host, slug);
        Assert.True(model["available"]!.GetValue<bool>(), model.ToJsonString());
        Assert.False(model["input_checked"]!.GetValue<bool>());
        Assert.Equal("input not checked: the provider's schema could not be read", model["notice"]!.GetValue<string>());
        Assert.Equal(1, NotCheckedLines(slug));

        // Still unreadable at the next check: still selling, and not logged again.
        await NextCheckAfterTheSchemaAgesAsync(host);
        Assert.False((await ModelAsync(host, slug))["input_checked"]!.GetValue<bool>());
        Assert.Equal(1, NotCheckedLines(slug));

        // Readable again: checked, and the notice is gone.
        _replicate.SchemaUnavailable = _fal.SchemaUnavailable = _comfyUi.SchemaUnavailable = false;
        await NextCheckAfterTheSchemaAgesAsync(host);
        model = await ModelAsync(host, slug);
        Assert.True(model["input_checked"]!.GetValue<bool>(), model.ToJsonString());
        Assert.Null(model["notice"]);
    }

    [Fact]
    public async Task A_schema_that_changes_after_start_makes_the_model_unavailable_at_the_next_check_and_readyz_says_so()
    {
        var host = Host(new JsonObject { ["Id"] = 1, ["Slug"] = "motion", ["Backend"] = "motion" }, Entry("replicate/wan-video/wan-2.2-i2v-fast"));
        Assert.True((await ModelAsync(host, "wan-2.2-fast"))["available"]!.GetValue<bool>());

        // A new version of the model wants at least 97 frames: the 5 s preset sends 81.
        _replicate.SchemaChange = (name, schema) =>
        {
            if (name == "wan-video/wan-2.2-i2v-fast")
            {
                schema["components"]!["schemas"]!["Input"]!["properties"]!["num_frames"]!["minimum"] = 97;
            }
        };
        await NextCheckAfterTheSchemaAgesAsync(host);

        var model = await ModelAsync(host, "wan-2.2-fast");
        Assert.False(model["available"]!.GetValue<bool>());
        Assert.Contains("for 5 s, input 'num_frames'", model["unavailable_reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(_log.Lines, l => l.StartsWith("Warning: Model wan-2.2-fast is unavailable", StringComparison.Ordinal) && l.Contains("input 'num_frames'", StringComparison.Ordinal));

        using var ready = await host.CreateClient().GetAsync("/readyz");
        var report = await host.JsonAsync(ready);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("degraded", report["status"]!.GetValue<string>());
        var models = report["checks"]!["models"]!;
        Assert.Equal("degraded", models["status"]!.GetValue<string>());
        Assert.Contains("wan-2.2-fast: the input does not fit wan-video/wan-2.2-i2v-fast's schema for 5 s, input 'num_frames'", models["description"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ComfyUIs_node_definitions_unreadable_after_a_good_read_leave_the_model_selling_not_checked()
    {
        var host = Host(Entry("comfyui/wan2.2-i2v"));
        var model = await ModelAsync(host, "wan-2.2-comfyui");
        Assert.True(model["available"]!.GetValue<bool>(), model.ToJsonString());
        Assert.True(model["input_checked"]!.GetValue<bool>());

        // As Replicate's and fal's schemas: a failed read is no reason to stop selling a model that checked out.
        _comfyUi.SchemaUnavailable = true;
        await NextCheckAfterTheSchemaAgesAsync(host);
        model = await ModelAsync(host, "wan-2.2-comfyui");
        Assert.True(model["available"]!.GetValue<bool>(), model.ToJsonString());
        Assert.False(model["input_checked"]!.GetValue<bool>());
        Assert.Equal(1, NotCheckedLines("wan-2.2-comfyui"));
    }
}
