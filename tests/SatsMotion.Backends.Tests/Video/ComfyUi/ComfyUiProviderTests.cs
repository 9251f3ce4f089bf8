using System.Net;
using System.Text.Json.Nodes;
using SatsMotion.Server.Tests;

namespace SatsMotion.Backends.Tests.Video.ComfyUi;

/// <summary>
/// Backend "comfyui" against <see cref="FakeComfyUi"/> (ComfyUI 0.3.64's server.py API and validate_prompt), with the
/// shipped workflow of the preset comfyui/wan2.2-i2v.
/// </summary>
public sealed class ComfyUiProviderTests : VideoProviderScenarios<FakeComfyUi>
{
    protected override JsonObject Model(Uri provider) => new()
    {
        ["Preset"] = "comfyui/wan2.2-i2v",
        ["Id"] = 7,
        ["Slug"] = "remote",
        ["Name"] = "Wan 2.2 on our GPU",
        ["Endpoint"] = provider.ToString(),
        ["SatsPerSecond"] = 250,
        ["Durations"] = new JsonArray(3, 5),
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
        Assert.Equal("make the person wave hello", prompt["8"]!["inputs"]!["text"]!.GetValue<string>());
        Assert.Equal(49, prompt["10"]!["inputs"]!["length"]!.GetValue<int>()); // 3 s at 16 fps, on Wan's 4n+1
        Assert.Equal(System.Text.Json.JsonValueKind.Number, prompt["11"]!["inputs"]!["noise_seed"]!.GetValueKind());
        Assert.Equal(20, prompt["11"]!["inputs"]!["steps"]!.GetValue<int>());
        Assert.Equal(0, Provider.HistoryCount); // read and stored: the server's memory of it is let go
    }

    [Fact]
    public async Task Progress_from_the_websocket_shows_in_the_job()
    {
        var (jobId, progress) = await HeldJobProgressAsync(0.4);
        Assert.InRange(progress, 0.4, 0.9); // steps of 20, in the provider's 90 % of the bar
        Provider.Mode = ProviderMode.Normal;
        Assert.Equal("COMPLETED", (await Host.WaitForJobAsync(jobId))["status"]!.GetValue<string>());
    }
}
