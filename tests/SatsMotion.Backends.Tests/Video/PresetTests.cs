using System.Net;
using System.Text.Json.Nodes;
using SatsMotion.Backends.Tests.Video.ComfyUi;
using SatsMotion.Backends.Tests.Video.Fal;
using SatsMotion.Backends.Tests.Video.Replicate;
using SatsMotion.Server.Tests;
using SatsMotion.Testing;
using SatsMotion.Video.Models;

namespace SatsMotion.Backends.Tests.Video;

/// <summary>The three provider fakes, each enforcing the preset models' published input schemas, shared by the preset tests.</summary>
public sealed class PresetProviders : IAsyncLifetime
{
    public FakeReplicate Replicate { get; } = new();

    public FakeFal Fal { get; } = new();

    public FakeComfyUi ComfyUi { get; } = new();

    public async Task InitializeAsync()
    {
        await Task.WhenAll(Replicate.StartAsync(), Fal.StartAsync(), ComfyUi.StartAsync());
        ComfyUi.Token = "comfy-proxy-token";
    }

    public async Task DisposeAsync()
    {
        await Replicate.DisposeAsync();
        await Fal.DisposeAsync();
        await ComfyUi.DisposeAsync();
    }

    /// <summary>A model entry naming only the preset and what is the operator's own: where its provider is and the key.</summary>
    public JsonObject Entry(string preset) => preset.Split('/')[0] switch
    {
        "replicate" => new JsonObject { ["Preset"] = preset, ["Endpoint"] = Replicate.Address.ToString(), ["ApiKey"] = FakeReplicate.Token },
        "fal" => new JsonObject { ["Preset"] = preset, ["Endpoint"] = Fal.Address.ToString(), ["ApiKey"] = FakeFal.Key },
        _ => new JsonObject { ["Preset"] = preset, ["Endpoint"] = ComfyUi.Address.ToString(), ["ApiKey"] = ComfyUi.Token },
    };
}

/// <summary>
/// Every preset buys a video of every duration it offers, against fakes that refuse what the models' published
/// schemas refuse (Replicate's openapi_schema, fal's endpoint OpenAPI, ComfyUI's validate_prompt); every preset is
/// available after the preflight; a template that breaks its model's schema is refused at the check, before any
/// invoice, naming the field.
/// </summary>
public sealed class PresetTests(PresetProviders providers) : IClassFixture<PresetProviders>, IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("satsmotion-presets-").FullName;
    private TestHost? _host;

    public static TheoryData<string, int> PresetDurations
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (var preset in ModelPresets.All)
            {
                foreach (var duration in preset.Durations)
                {
                    data.Add(preset.Name, duration);
                }
            }

            return data;
        }
    }

    public static TheoryData<string> Presets => [.. ModelPresets.All.Select(p => p.Name)];

    private TestHost Host(JsonArray models)
    {
        var settings = Path.Combine(_work, $"settings-{Guid.NewGuid():N}.json");
        File.WriteAllText(settings, new JsonObject { ["SatsMotion"] = new JsonObject { ["Models"] = models } }.ToJsonString());
        _host?.Dispose();
        return _host = new TestHost(settings: new() { ["config"] = settings });
    }

    public void Dispose()
    {
        _host?.Dispose();
        Directory.Delete(_work, true);
    }

    [Theory]
    [MemberData(nameof(PresetDurations))]
    public async Task Each_preset_makes_a_video_of_each_duration_it_offers(string preset, int duration)
    {
        var host = Host([providers.Entry(preset)]);
        var slug = ModelPresets.Find(preset)!.Slug;
        var body = TestHost.Body("a slow pan across the valley", duration: duration, modelId: slug);
        var (macaroon, preimage, challenge) = await host.BuyAsync(body);
        Assert.Equal(duration * 100, challenge["price_sats"]!.GetValue<long>());
        using var response = await host.AnimateAsync(body, TestHost.Credential(macaroon, preimage), "wait=60");
        var job = await host.JsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, job.ToJsonString());
        var video = Path.Combine(host.DataDirectory, "videos", job["videoUrl"]!.GetValue<string>().Split('/')[^1]);
        Assert.Equal(duration, (await Ffprobe.ProbeAsync(video)).DurationSeconds, Math.Max(1.0, duration * 0.25));
    }

    [Theory]
    [MemberData(nameof(Presets))]
    public async Task Each_preset_fits_its_models_published_schema_at_the_check(string preset)
    {
        var host = Host([providers.Entry(preset)]);
        var model = (await host.JsonAsync(await host.CreateClient().GetAsync("/api/l402/models"))).AsArray().Single()!;
        Assert.True(model["available"]!.GetValue<bool>(), model.ToJsonString());
        Assert.Equal(ModelPresets.Find(preset)!.Durations, model["durations"]!.AsArray().Select(d => d!.GetValue<int>()));
    }

    public static TheoryData<string, string, string> BrokenTemplates => new()
    {
        // The README's old Replicate example: 5 s × 16 fps = 80 frames, below Wan's 81.
        { "replicate/wan-video/wan-2.2-i2v-fast", """{"FrameRule": "exact"}""", "num_frames" },
        { "replicate/kwaivgi/kling-v2.1", """{"Input": {"start_image": "{image}", "prompt": "{prompt}", "duration": "{duration:string}"}}""", "duration" },
        { "fal/fal-ai/kling-video/v2.1/standard/image-to-video", """{"Input": {"image_url": "{image}", "prompt": "{prompt}", "duration": "{duration}"}}""", "duration" },
        { "fal/fal-ai/wan/v2.2-a14b/image-to-video", """{"Durations": [3, 12]}""", "num_frames" },
        { "comfyui/ltxv-i2v", """{"FrameRule": "exact"}""", "length" },
    };

    [Theory]
    [MemberData(nameof(BrokenTemplates))]
    public async Task A_template_that_breaks_the_published_schema_makes_the_model_unavailable_before_any_invoice(string preset, string overrides, string field)
    {
        var entry = providers.Entry(preset);
        foreach (var (key, value) in JsonNode.Parse(overrides)!.AsObject())
        {
            entry[key] = value?.DeepClone();
        }

        var host = Host([entry]);
        var model = (await host.JsonAsync(await host.CreateClient().GetAsync("/api/l402/models"))).AsArray().Single()!;
        Assert.False(model["available"]!.GetValue<bool>());
        var reason = model["unavailable_reason"]?.GetValue<string>() ?? "";
        Assert.True(reason.Contains(field, StringComparison.Ordinal), reason);

        var slug = ModelPresets.Find(preset)!.Slug;
        using var response = await host.AnimateAsync(TestHost.Body(duration: model["durations"]![0]!.GetValue<int>(), modelId: slug));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Empty(response.Headers.WwwAuthenticate);
        Assert.Equal(0, host.Count("dev_invoices"));
    }
}

/// <summary>
/// The model list of the operators' docs (docs/operators/models.md), run as written: its settings file and the key files it names, beside it, in a folder of
/// their own. Only each provider's Endpoint is pointed at its fake: the example's providers are the public APIs and a
/// GPU box by name, and no DNS name or TLS certificate of theirs can be made to reach a fake without that.
/// </summary>
public sealed class ReadmeModelListTests(PresetProviders providers) : IClassFixture<PresetProviders>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("readme-models-").FullName;

    private static JsonObject ReadmeExample()
    {
        var section = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "operators", "models.md"));
        var start = section.IndexOf("```json", StringComparison.Ordinal) + "```json".Length;
        return JsonNode.Parse(section[start..section.IndexOf("```", start, StringComparison.Ordinal)])!.AsObject();
    }

    public void Dispose() => Directory.Delete(_folder, true);

    [Fact]
    public async Task The_readme_example_model_list_sells_a_video_from_every_model_as_written()
    {
        // The example's ComfyUI has no ApiKey: no proxy in front of it.
        providers.ComfyUi.Token = null;
        var settings = ReadmeExample();
        var written = settings.DeepClone();
        foreach (var model in settings["SatsMotion"]!["Models"]!.AsArray().Select(m => m!.AsObject()).Where(m => m["Preset"] is not null))
        {
            var pointed = providers.Entry(model["Preset"]!.GetValue<string>());
            if (model["ApiKeyFile"]?.GetValue<string>() is { } keyFile)
            {
                await File.WriteAllTextAsync(Path.Combine(_folder, keyFile), pointed["ApiKey"]!.GetValue<string>() + "\n");
            }

            model["Endpoint"] = pointed["Endpoint"]!.DeepClone();
        }

        // Nothing but the endpoints differs from the docs.
        foreach (var (ours, theirs) in settings["SatsMotion"]!["Models"]!.AsArray().Zip(written["SatsMotion"]!["Models"]!.AsArray()))
        {
            theirs!.AsObject().Remove("Endpoint");
            var compared = ours!.DeepClone().AsObject();
            compared.Remove("Endpoint");
            Assert.True(JsonNode.DeepEquals(theirs, compared), compared.ToJsonString());
        }

        Assert.Contains(settings["SatsMotion"]!["Models"]!.AsArray(), m => m!["ApiKeyFile"] is not null);
        var file = Path.Combine(_folder, "satsmotion.json");
        await File.WriteAllTextAsync(file, settings.ToJsonString());
        using var host = new TestHost(settings: new() { ["config"] = file });
        var models = (await host.JsonAsync(await host.CreateClient().GetAsync("/api/l402/models"))).AsArray();
        Assert.Equal(settings["SatsMotion"]!["Models"]!.AsArray().Count, models.Count);
        foreach (var model in models)
        {
            Assert.True(model!["available"]!.GetValue<bool>(), model.ToJsonString());
            Assert.True(model["input_checked"]!.GetValue<bool>(), model.ToJsonString());
            var body = TestHost.Body("a slow pan", duration: model["default_duration"]!.GetValue<int>(), modelId: model["slug"]!.GetValue<string>());
            var (macaroon, preimage, _) = await host.BuyAsync(body);
            using var response = await host.AnimateAsync(body, TestHost.Credential(macaroon, preimage), "wait=60");
            Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        }
    }
}
