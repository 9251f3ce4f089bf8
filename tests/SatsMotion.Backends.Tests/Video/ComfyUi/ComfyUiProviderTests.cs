using System.Net;
using System.Text.Json.Nodes;
using SatsMotion.Server.Tests;

namespace SatsMotion.Backends.Tests.Video.ComfyUi;

/// <summary>Backend "comfyui" against <see cref="FakeComfyUi"/> (ComfyUI's server.py API), with an API-format workflow file.</summary>
public sealed class ComfyUiProviderTests : VideoProviderScenarios<FakeComfyUi>
{
    // A Wan 2.1 image-to-video graph in ComfyUI's API format, cut to the nodes that take our placeholders.
    private static readonly string Workflow = WriteWorkflow();

    private static string WriteWorkflow()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("comfy-workflow-").FullName, "wan-i2v.json");
        File.WriteAllText(path, """
            {
              "1": {"class_type": "LoadImage", "inputs": {"image": "{image}"}},
              "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "{prompt}, cinematic", "clip": ["4", 0]}},
              "3": {"class_type": "KSampler", "inputs": {"seed": "{seed}", "steps": 20, "cfg": 6, "model": ["4", 0], "positive": ["2", 0]}},
              "5": {"class_type": "WanImageToVideo", "inputs": {"length": "{frames}", "width": 832, "height": 480, "start_image": ["1", 0]}},
              "9": {"class_type": "VHS_VideoCombine", "inputs": {"frame_rate": 16, "format": "video/h264-mp4", "images": ["3", 0]}}
            }
            """);
        return path;
    }

    protected override JsonObject Model(Uri provider) => new()
    {
        ["Id"] = 7,
        ["Slug"] = "remote",
        ["Name"] = "Wan 2.1 on our GPU",
        ["Backend"] = "comfyui",
        ["Endpoint"] = provider.ToString(),
        ["Workflow"] = Workflow,
        ["SatsPerSecond"] = 250,
        ["Durations"] = new JsonArray(3, 5),
        ["Fps"] = 16,
        ["Timeout"] = "00:02:00",
    };

    [Fact]
    public async Task The_workflow_gets_the_uploaded_image_the_prompt_in_its_text_and_typed_numbers()
    {
        var body = Body();
        var (macaroon, preimage, _) = await Host.BuyAsync(body);
        using var response = await Host.AnimateAsync(body, TestHost.Credential(macaroon, preimage), "wait=60");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var prompt = Assert.Single(Provider.Prompts);
        Assert.StartsWith("satsmotion-", prompt["1"]!["inputs"]!["image"]!.GetValue<string>());
        Assert.Equal("make the person wave hello, cinematic", prompt["2"]!["inputs"]!["text"]!.GetValue<string>());
        Assert.Equal(48, prompt["5"]!["inputs"]!["length"]!.GetValue<int>());
        Assert.Equal(System.Text.Json.JsonValueKind.Number, prompt["3"]!["inputs"]!["seed"]!.GetValueKind());
        Assert.Equal(20, prompt["3"]!["inputs"]!["steps"]!.GetValue<int>());
    }

    [Fact]
    public async Task Progress_from_the_websocket_shows_in_the_job()
    {
        var (jobId, progress) = await HeldJobProgressAsync(0.4);
        Assert.InRange(progress, 0.4, 0.45); // 9 of 20 steps, in the provider's 90 % of the bar
        Provider.Mode = ProviderMode.Normal;
        Assert.Equal("COMPLETED", (await Host.WaitForJobAsync(jobId))["status"]!.GetValue<string>());
    }
}
