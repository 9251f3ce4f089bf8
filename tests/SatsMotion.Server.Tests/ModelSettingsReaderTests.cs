using Microsoft.Extensions.Configuration;
using SatsMotion.Server.Configuration;
using SatsMotion.Video.Models;

namespace SatsMotion.Server.Tests;

/// <summary>The model list as operators write it: presets with their own keys over them, and literals that stay literals from any source.</summary>
public sealed class ModelSettingsReaderTests
{
    private static IReadOnlyList<ModelSettings> Read(Dictionary<string, string?> values) =>
        ModelSettingsReader.Read(new ConfigurationBuilder().AddInMemoryCollection(values).Build())!;

    [Fact]
    public void A_preset_supplies_what_the_entry_leaves_out_and_the_entry_overrides_the_rest()
    {
        var models = Read(new()
        {
            ["SatsMotion:Models:0:Preset"] = "fal/fal-ai/kling-video/v2.1/standard/image-to-video",
            ["SatsMotion:Models:0:ApiKey"] = "key",
            ["SatsMotion:Models:1:Preset"] = "replicate/wan-video/wan-2.2-i2v-fast",
            ["SatsMotion:Models:1:Id"] = "9",
            ["SatsMotion:Models:1:Slug"] = "wan",
            ["SatsMotion:Models:1:SatsPerSecond"] = "250",
            ["SatsMotion:Models:1:Durations:0"] = "5",
        });
        var kling = models[0];
        Assert.Equal("fal", kling.Backend);
        Assert.Equal("fal-ai/kling-video/v2.1/standard/image-to-video", kling.ProviderModel);
        Assert.Equal("kling-2.1-fal", kling.Slug);
        Assert.Equal([5, 10], kling.Durations);
        Assert.Equal("{duration:string}", kling.Input!["duration"]!.GetValue<string>());
        Assert.Equal(10, kling.Id); // after the highest Id given

        var wan = models[1];
        Assert.Equal((9, "wan", 250), (wan.Id, wan.Slug, wan.SatsPerSecond));
        Assert.Equal([5], wan.Durations);
        Assert.Equal(16, wan.Fps);
        Assert.Equal(81, wan.Lengths.Frames(5));
    }

    [Fact]
    public void A_name_that_is_no_preset_stops_the_start_listing_the_presets()
    {
        var error = Assert.Throws<VideoConfigurationException>(() => Read(new() { ["SatsMotion:Models:0:Preset"] = "replicate/nobody/nothing" }));
        Assert.Contains("comfyui/ltxv-i2v", error.Message);
    }

    [Fact]
    public void From_environment_variables_a_quoted_value_stays_text_and_a_json_input_stays_as_written()
    {
        var flattened = Read(new()
        {
            ["SatsMotion:Models:0:Backend"] = "fal",
            ["SatsMotion:Models:0:Slug"] = "a",
            ["SatsMotion:Models:0:Input:duration"] = "\"5\"",
            ["SatsMotion:Models:0:Input:num_frames"] = "81",
            ["SatsMotion:Models:1:Backend"] = "fal",
            ["SatsMotion:Models:1:Slug"] = "b",
            ["SatsMotion:Models:1:Input"] = """{"duration": "5", "cfg_scale": 0.5}""",
        });
        Assert.Equal("5", flattened[0].Input!["duration"]!.GetValue<string>());
        Assert.Equal(81, flattened[0].Input!["num_frames"]!.GetValue<long>());
        Assert.Equal("5", flattened[1].Input!["duration"]!.GetValue<string>());
        Assert.Equal(0.5, flattened[1].Input!["cfg_scale"]!.GetValue<double>());
    }

    [Fact]
    public void A_key_file_named_without_a_folder_is_read_beside_the_settings_file_that_lists_the_models()
    {
        var folder = Directory.CreateTempSubdirectory("model-settings-").FullName;
        try
        {
            var file = Path.Combine(folder, "satsmotion.json");
            File.WriteAllText(file, """
                {"SatsMotion": {"Models": [
                  {"Preset": "fal/fal-ai/kling-video/v2.1/standard/image-to-video", "ApiKeyFile": "fal.key"},
                  {"Preset": "replicate/wan-video/wan-2.2-i2v-fast", "ApiKeyFile": "/etc/satsmotion/replicate.key"}]}}
                """);
            File.WriteAllText(Path.Combine(folder, "fal.key"), "fal-secret\n");
            var models = ModelSettingsReader.Read(new ConfigurationBuilder().AddJsonFile(file).Build())!;
            Assert.Equal(Path.Combine(folder, "fal.key"), models[0].ApiKeyFile);
            Assert.Equal("fal-secret", models[0].ReadApiKey());
            Assert.Equal("/etc/satsmotion/replicate.key", models[1].ApiKeyFile);
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }
}
