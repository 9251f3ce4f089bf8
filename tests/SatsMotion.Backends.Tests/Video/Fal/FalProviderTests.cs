using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Server.Tests;
using SatsMotion.Video.Fal;
using SatsMotion.Video.Models;
using SatsMotion.Video.Remote;

namespace SatsMotion.Backends.Tests.Video.Fal;

/// <summary>Backend "fal" against <see cref="FakeFal"/> (fal.ai's queue API as documented).</summary>
public sealed class FalProviderTests : VideoProviderScenarios<FakeFal>
{
    protected override JsonObject Model(Uri provider) => new()
    {
        ["Id"] = 7,
        ["Slug"] = "remote",
        ["Name"] = "Kling 1.6 on fal",
        ["Backend"] = "fal",
        ["Endpoint"] = provider.ToString(),
        ["ApiKey"] = FakeFal.Key,
        ["ProviderModel"] = "fal-ai/kling-video/v1.6/standard/image-to-video",
        ["Input"] = new JsonObject { ["image_url"] = "{image}", ["prompt"] = "{prompt}", ["duration"] = "{duration:string}", ["negative_prompt"] = "blur, distort", ["cfg_scale"] = 0.5 },
        ["SatsPerSecond"] = 250,
        ["Durations"] = new JsonArray(3, 5),
        ["Timeout"] = "00:02:00",
    };

    [Fact]
    public async Task Submits_to_the_full_app_id_and_polls_under_owner_and_app_with_the_key()
    {
        var body = Body();
        var (macaroon, preimage, _) = await Host.BuyAsync(body);
        using var response = await Host.AnimateAsync(body, TestHost.Credential(macaroon, preimage), "wait=60");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (app, input) = Assert.Single(Provider.Submitted);
        Assert.Equal("fal-ai/kling-video/v1.6/standard/image-to-video", app);
        Assert.StartsWith("data:image/jpeg;base64,", input["image_url"]!.GetValue<string>());
        Assert.Equal("3", input["duration"]!.GetValue<string>()); // {duration:string}: the text fal's Kling takes
        Assert.Equal(0.5, input["cfg_scale"]!.GetValue<double>());
        Assert.All(Provider.RequestPaths, path => Assert.StartsWith("/fal-ai/kling-video/requests/", path));
        Assert.Contains(Provider.RequestPaths, path => path.EndsWith("/status", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Queue_position_and_logs_move_the_progress()
    {
        var (jobId, progress) = await HeldJobProgressAsync(0.4);
        Assert.InRange(progress, 0.4, 0.41); // "45% done" in the provider's 90 % of the bar
        Provider.Mode = ProviderMode.Normal;
        Assert.Equal("COMPLETED", (await Host.WaitForJobAsync(jobId))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_image_above_the_inline_limit_is_uploaded_to_storage_first()
    {
        using var noise = new SkiaSharp.SKBitmap(800, 600);
        var random = new Random(3);
        for (var y = 0; y < noise.Height; y++)
        {
            for (var x = 0; x < noise.Width; x++)
            {
                noise.SetPixel(x, y, new SkiaSharp.SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
            }
        }

        var large = SatsMotion.Testing.TestImages.Encode(noise, SkiaSharp.SKEncodedImageFormat.Png);
        Assert.True(large.Length > FalProvider.DataUriLimit);
        var body = TestHost.Body("wave", image: large, duration: 3, modelId: "remote");
        var (macaroon, preimage, _) = await Host.BuyAsync(body);
        using var response = await Host.AnimateAsync(body, TestHost.Credential(macaroon, preimage), "wait=60");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, Provider.Uploads);
        Assert.StartsWith($"{Provider.Address}files/", Assert.Single(Provider.Submitted).Input["image_url"]!.GetValue<string>());
    }

    // fal-js libs/client/src/utils.ts parseEndpointId: a namespace keeps three parts, any other id two.
    [Theory]
    [InlineData("fal-ai/kling-video/v2.1/standard/image-to-video", "fal-ai/kling-video/requests")]
    [InlineData("fal-ai/wan/v2.2-a14b/image-to-video", "fal-ai/wan/requests")]
    [InlineData("fal-ai/flux", "fal-ai/flux/requests")]
    [InlineData("workflows/someone/my-flow", "workflows/someone/my-flow/requests")]
    [InlineData("comfy/someone/flow/extra", "comfy/someone/flow/requests")]
    public void Requests_live_under_the_owner_and_alias_after_any_namespace(string app, string requests) =>
        Assert.Equal(requests, FalProvider.RequestsPathOf(app));
}

/// <summary>
/// fal without an Endpoint, as an operator's entry has it: the provider as the server registers it, its HTTP client's
/// handler chain (timeouts, retries) ending in a stand-in for the network that answers as fal does and records where
/// each request went. No request leaves the machine.
/// </summary>
public sealed class FalPublicHostTests
{
    private sealed class Network : HttpMessageHandler
    {
        public List<(HttpMethod Method, Uri Url, string? Authorization, string? Body)> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null || request.Method == HttpMethod.Put ? null : await request.Content.ReadAsStringAsync(cancellationToken);
            lock (Requests)
            {
                Requests.Add((request.Method, request.RequestUri!, request.Headers.Authorization?.ToString(), body));
            }

            // fal-js storage.ts: initiate → {upload_url, file_url}; the PUT of the bytes; the queue's submit → {request_id}.
            var answer = request.RequestUri!.AbsolutePath switch
            {
                "/storage/upload/initiate" => """{"upload_url": "https://upload.fal.media/put/1", "file_url": "https://v3.fal.media/files/satsmotion.png"}""",
                "/put/1" => "{}",
                _ => """{"request_id": "0e6d6c4e-1111-4222-8333-944455556666", "status": "IN_QUEUE"}""",
            };
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(answer, System.Text.Encoding.UTF8, "application/json") };
        }
    }

    [Fact]
    public async Task Without_an_Endpoint_uploads_go_to_rest_fal_ai_as_fal_js_sends_them_and_submits_to_the_queue()
    {
        var network = new Network();
        var services = new ServiceCollection();
        var model = new ModelSettings
        {
            Slug = "kling-fal",
            Backend = "fal",
            ApiKey = FakeFal.Key,
            ProviderModel = "fal-ai/kling-video/v2.1/standard/image-to-video",
        };
        var create = FalProvider.Register(services, model);
        services.AddHttpClient("fal:kling-fal").ConfigurePrimaryHttpMessageHandler(() => network);
        await using var provider = services.BuildServiceProvider();

        // Above the inline limit, the image goes through fal's storage first.
        var image = new byte[FalProvider.DataUriLimit + 1];
        var id = await create(provider).SubmitAsync(new ProviderJob("job", image, "image/png", "a pan", 5, 120, 1), CancellationToken.None);

        Assert.Equal("0e6d6c4e-1111-4222-8333-944455556666", id);
        Assert.Collection(network.Requests,
            initiate =>
            {
                Assert.Equal(HttpMethod.Post, initiate.Method);
                Assert.Equal(new Uri("https://rest.fal.ai/storage/upload/initiate?storage_type=fal-cdn-v3"), initiate.Url);
                Assert.Equal($"Key {FakeFal.Key}", initiate.Authorization);
            },
            put => Assert.Equal((HttpMethod.Put, new Uri("https://upload.fal.media/put/1")), (put.Method, put.Url)),
            submit =>
            {
                Assert.Equal(new Uri("https://queue.fal.run/fal-ai/kling-video/v2.1/standard/image-to-video"), submit.Url);
                Assert.Equal("https://v3.fal.media/files/satsmotion.png", JsonNode.Parse(submit.Body!)!["image_url"]!.GetValue<string>());
            });
    }
}

/// <summary>fal's completion webhook (ED25519 under its published keys) against <see cref="FakeFal"/>.</summary>
public sealed class FalPushTests : ProviderPushScenarios<FakeFal>
{
    protected override JsonObject Model(Uri provider) => new()
    {
        ["Id"] = 7,
        ["Slug"] = "remote",
        ["Backend"] = "fal",
        ["Endpoint"] = provider.ToString(),
        ["ApiKey"] = FakeFal.Key,
        ["ProviderModel"] = "fal-ai/some-video-app",
        ["Durations"] = new JsonArray(3),
    };

    // The availability check asks about the all-zero id; the job's own polls are the rest.
    protected override int StatusPolls() => Provider.RequestPaths.Count(p => p.EndsWith("/status", StringComparison.Ordinal) && !p.Contains("00000000-0000", StringComparison.Ordinal));

    protected override bool IsStatusPoll(string request) => request.StartsWith("GET ", StringComparison.Ordinal) && request.EndsWith("/status", StringComparison.Ordinal) && !request.Contains("00000000-0000", StringComparison.Ordinal);

    protected override IReadOnlyList<string> AskedWebhooks() => [.. Provider.Webhooks];

    protected override HttpRequestMessage SignedPush() => Provider.SignedPushFor(PushUrl.ToString());

    protected override int KeyReads()
    {
        lock (Provider.Requests)
        {
            return Provider.Requests.Count(r => r == "GET /.well-known/jwks.json");
        }
    }

    protected override HttpRequestMessage ForgedPush(bool staleInstead)
    {
        var foreign = new byte[32];
        System.Security.Cryptography.RandomNumberGenerator.Fill(foreign);
        return staleInstead
            ? Provider.SignedPushFor(PushUrl.ToString(), timestamp: DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds())
            : Provider.SignedPushFor(PushUrl.ToString(), foreign);
    }
}
