using System.Net;
using System.Text.Json.Nodes;
using SatsMotion.Server.Tests;
using SatsMotion.Testing;

namespace SatsMotion.Backends.Tests.Video.Replicate;

/// <summary>Backend "replicate" against <see cref="FakeReplicate"/> (Replicate's HTTP API reference).</summary>
public sealed class ReplicateProviderTests : VideoProviderScenarios<FakeReplicate>
{
    protected override JsonObject Model(Uri provider) => new()
    {
        ["Id"] = 7,
        ["Slug"] = "remote",
        ["Name"] = "Wan 2.1 on Replicate",
        ["Backend"] = "replicate",
        ["Endpoint"] = provider.ToString(),
        ["ApiKey"] = FakeReplicate.Token,
        ["ProviderModel"] = "wavespeedai/wan-2.1-i2v-480p",
        ["Input"] = new JsonObject { ["image"] = "{image}", ["prompt"] = "{prompt}", ["num_frames"] = "{frames}", ["seed"] = "{seed}", ["fast_mode"] = "Balanced", ["sample_shift"] = 3 },
        ["SatsPerSecond"] = 250,
        ["Durations"] = new JsonArray(3, 5),
        ["Fps"] = 16,
        ["Timeout"] = "00:02:00",
    };

    [Fact]
    public async Task The_input_is_filled_with_typed_values_and_a_data_uri()
    {
        var body = Body();
        var (macaroon, preimage, _) = await Host.BuyAsync(body);
        using var response = await Host.AnimateAsync(body, TestHost.Credential(macaroon, preimage), "wait=60");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var input = Assert.Single(Provider.Inputs);
        Assert.StartsWith("data:image/jpeg;base64,", input["image"]!.GetValue<string>());
        Assert.Equal("make the person wave hello", input["prompt"]!.GetValue<string>());
        Assert.Equal(48, input["num_frames"]!.GetValue<int>());
        Assert.Equal(System.Text.Json.JsonValueKind.Number, input["seed"]!.GetValueKind());
        Assert.Equal("Balanced", input["fast_mode"]!.GetValue<string>());
        Assert.Equal(3, input["sample_shift"]!.GetValue<int>());
        Assert.Equal(0, Provider.Uploads);
    }

    [Fact]
    public async Task An_image_above_the_data_uri_limit_goes_through_the_files_api()
    {
        using var noise = new SkiaSharp.SKBitmap(800, 600);
        var random = new Random(7);
        for (var y = 0; y < noise.Height; y++)
        {
            for (var x = 0; x < noise.Width; x++)
            {
                noise.SetPixel(x, y, new SkiaSharp.SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
            }
        }

        var large = TestImages.Encode(noise, SkiaSharp.SKEncodedImageFormat.Png);
        Assert.True(large.Length > SatsMotion.Video.Replicate.ReplicateProvider.DataUriLimit);
        var body = TestHost.Body("wave", image: large, duration: 3, modelId: "remote");
        var (macaroon, preimage, _) = await Host.BuyAsync(body);
        using var response = await Host.AnimateAsync(body, TestHost.Credential(macaroon, preimage), "wait=60");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, Provider.Uploads);
        Assert.StartsWith(Provider.Address.ToString(), Assert.Single(Provider.Inputs)["image"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_wrong_token_makes_the_model_unavailable()
    {
        var settings = JsonNode.Parse(await File.ReadAllTextAsync(SettingsFile))!;
        settings["SatsMotion"]!["Models"]![0]!["ApiKey"] = "r8_wrong";
        await File.WriteAllTextAsync(SettingsFile, settings.ToJsonString());
        using var response = await Host.AnimateAsync(Body());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task A_create_answers_with_its_id_at_once_never_held_open_for_an_output_we_do_not_read()
    {
        var body = Body();
        var (macaroon, preimage, _) = await Host.BuyAsync(body);
        using var response = await Host.AnimateAsync(body, TestHost.Credential(macaroon, preimage), "wait=60");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, Provider.Submissions);
        Assert.Empty(Provider.PreferHeaders);
    }
}

/// <summary>Replicate's completion webhook (Standard Webhooks, the account's secret) against <see cref="FakeReplicate"/>.</summary>
public sealed class ReplicatePushTests : ProviderPushScenarios<FakeReplicate>
{
    protected override JsonObject Model(Uri provider) => new()
    {
        ["Id"] = 7,
        ["Slug"] = "remote",
        ["Backend"] = "replicate",
        ["Endpoint"] = provider.ToString(),
        ["ApiKey"] = FakeReplicate.Token,
        ["ProviderModel"] = "owner/model",
        ["Durations"] = new JsonArray(3),
        ["Fps"] = 16,
    };

    protected override int StatusPolls() => Provider.Requests.Count(r => r.StartsWith("GET /v1/predictions/", StringComparison.Ordinal));

    protected override bool IsStatusPoll(string request) => request.StartsWith("GET /v1/predictions/", StringComparison.Ordinal);

    protected override IReadOnlyList<string> AskedWebhooks()
    {
        Assert.All(Provider.Webhooks, w => Assert.Equal("""["completed"]""", w.Filter));
        return [.. Provider.Webhooks.Select(w => w.Url)];
    }

    protected override HttpRequestMessage SignedPush() => Provider.SignedPushFor(PushUrl.ToString());

    protected override int KeyReads()
    {
        lock (Provider.Requests)
        {
            return Provider.Requests.Count(r => r == "GET /v1/webhooks/default/secret");
        }
    }

    protected override HttpRequestMessage ForgedPush(bool staleInstead)
    {
        var prediction = Provider.Predictions.Values.First().ToJsonString();
        var id = "msg_forged";
        var at = staleInstead ? DateTimeOffset.UtcNow.AddMinutes(-10) : DateTimeOffset.UtcNow;
        var secret = staleInstead ? FakeReplicate.WebhookSecret : "whsec_" + Convert.ToBase64String(new byte[32]);
        var request = new HttpRequestMessage(HttpMethod.Post, PushUrl) { Content = new StringContent(prediction, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("webhook-id", id);
        request.Headers.Add("webhook-timestamp", at.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", new StandardWebhooks.StandardWebhook(secret).Sign(id, at, prediction));
        return request;
    }
}
