using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace SatsMotion.Server.Tests;

public sealed class DiscoveryTests : IDisposable
{
    private readonly TestHost _host = new();

    [Fact]
    public async Task Models_list_has_the_reference_fields()
    {
        var models = (await _host.CreateClient().GetFromJsonAsync<JsonArray>("/api/l402/models"))!;
        var motion = Assert.Single(models)!;
        Assert.Equal(1, motion["id"]!.GetValue<int>());
        Assert.Equal("motion", motion["slug"]!.GetValue<string>());
        Assert.Equal("animate-image", motion["service"]!.GetValue<string>());
        Assert.Equal("video_from_image", motion["type"]!.GetValue<string>());
        Assert.Equal(100, motion["price_sats_per_second"]!.GetValue<int>());
        Assert.Equal(3, motion["min_duration"]!.GetValue<int>());
        Assert.Equal(15, motion["max_duration"]!.GetValue<int>());
        Assert.True(motion["default"]!.GetValue<bool>());
        Assert.Equal("local", motion["kind"]!.GetValue<string>());
        Assert.NotNull(motion["name"]);
        Assert.NotNull(motion["price"]);
    }

    [Fact]
    public async Task Service_description_has_a_schema_and_the_price_rule()
    {
        var description = (await _host.CreateClient().GetFromJsonAsync<JsonNode>("/api/l402/animate-image"))!;
        Assert.Equal("POST", description["method"]!.GetValue<string>());
        Assert.Contains("duration", description["price_rule"]!.GetValue<string>());
        var schema = description["request_schema"]!;
        Assert.Equal(["prompt", "image"], schema["required"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Equal(15, schema["properties"]!["duration"]!["maximum"]!.GetValue<int>());
    }

    [Fact]
    public async Task Service_description_uses_the_public_base_url_when_one_is_set()
    {
        using var host = new TestHost(settings: new() { ["SatsMotion:PublicBaseUrl"] = "https://video.example.test" });
        var description = (await host.CreateClient().GetFromJsonAsync<JsonNode>("/api/l402/animate-image"))!;
        Assert.Equal("https://video.example.test/api/l402/animate-image", description["url"]!.GetValue<string>());
    }

    [Fact]
    public async Task Health_and_openapi_answer()
    {
        var health = (await _host.CreateClient().GetFromJsonAsync<JsonNode>("/healthz"))!;
        Assert.Equal("ok", health["status"]!.GetValue<string>());
        Assert.False(health["real_money"]!.GetValue<bool>());
        var openapi = (await _host.CreateClient().GetFromJsonAsync<JsonNode>("/openapi/v1.json"))!;
        Assert.NotNull(openapi["paths"]!["/api/l402/animate-image"]!["post"]);
        Assert.NotNull(openapi["paths"]!["/api/l402/jobs/{jobId}"]);
    }

    [Fact]
    public async Task Unknown_routes_are_404()
    {
        using var response = await _host.CreateClient().GetAsync("/api/l402/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    public void Dispose() => _host.Dispose();
}
