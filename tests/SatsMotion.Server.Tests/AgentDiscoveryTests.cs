using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace SatsMotion.Server.Tests;

/// <summary>
/// The manifest, llms.txt, the OpenAPI document, the models list and the validation describe the same service: a
/// server with two models (one with a short list of durations) is read through each and compared.
/// </summary>
public sealed class AgentDiscoveryTests : IDisposable
{
    private readonly string _settings = Path.Combine(Directory.CreateTempSubdirectory("discovery-").FullName, "settings.json");
    private readonly TestHost _host;

    public AgentDiscoveryTests()
    {
        File.WriteAllText(_settings, """
            {"SatsMotion": {"Models": [
              {"Id": 1, "Slug": "motion", "Backend": "motion", "SatsPerSecond": 100},
              {"Id": 2, "Slug": "motion-short", "Name": "Short moves", "Backend": "motion", "SatsPerSecond": 150, "Durations": [3, 5], "Default": true}
            ]}}
            """);
        _host = new TestHost(settings: new() { ["config"] = _settings });
    }

    private async Task<JsonNode> GetJsonAsync(string path) => (await _host.CreateClient().GetFromJsonAsync<JsonNode>(path))!;

    [Fact]
    public async Task The_manifest_agrees_with_the_models_list_and_the_validation()
    {
        var manifest = await GetJsonAsync("/.well-known/l402-services");
        var service = manifest["services"]![0]!;
        Assert.EndsWith("/api/l402/animate-image", service["endpoint"]!.GetValue<string>());
        Assert.Equal(["L402", "Payment"], service["authentication"]!["schemes"]!.AsArray().Select(s => s!["scheme"]!.GetValue<string>()));
        var listed = (await GetJsonAsync("/api/l402/models")).AsArray();
        var priced = service["pricing"]!["models"]!.AsArray();
        Assert.Equal(listed.Select(m => m!["slug"]!.GetValue<string>()), priced.Select(m => m!["slug"]!.GetValue<string>()));
        foreach (var model in priced)
        {
            var slug = model!["slug"]!.GetValue<string>();
            var twin = listed.Single(m => m!["slug"]!.GetValue<string>() == slug)!;
            var perSecond = model["sats_per_second"]!.GetValue<int>();
            var durations = model["durations"]!.AsArray().Select(d => d!.GetValue<int>()).ToList();
            Assert.Equal(twin["price_sats_per_second"]!.GetValue<int>(), perSecond);
            Assert.Equal(twin["durations"]!.AsArray().Select(d => d!.GetValue<int>()), durations);
            Assert.Equal(twin["default"]!.GetValue<bool>(), model["default"]!.GetValue<bool>());
            Assert.All(model["prices_sats"]!.AsObject(), p => Assert.Equal(int.Parse(p.Key, System.Globalization.CultureInfo.InvariantCulture) * perSecond, p.Value!.GetValue<long>()));

            // What the manifest offers is invoiced at its price; one second more than the longest offered is refused.
            using var offered = await _host.AnimateAsync(TestHost.Body(duration: durations[^1], modelId: slug));
            Assert.Equal(HttpStatusCode.PaymentRequired, offered.StatusCode);
            Assert.Equal(durations[^1] * perSecond, (await _host.JsonAsync(offered))["price_sats"]!.GetValue<long>());
            using var refused = await _host.AnimateAsync(TestHost.Body(duration: durations[^1] + 1, modelId: slug));
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        var schema = service["request_schema"]!;
        Assert.Equal(["prompt", "image"], schema["required"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal(2000, schema["properties"]!["prompt"]!["maxLength"]!.GetValue<int>());
        Assert.Equal(schema.ToJsonString(), (await GetJsonAsync("/api/l402/animate-image"))["request_schema"]!.ToJsonString());
    }

    [Fact]
    public async Task Llms_txt_tells_the_same_prices_and_links_the_manifest_and_openapi()
    {
        var text = await _host.CreateClient().GetStringAsync("/llms.txt");
        var manifest = await GetJsonAsync("/.well-known/l402-services");
        foreach (var model in manifest["services"]![0]!["pricing"]!["models"]!.AsArray())
        {
            Assert.Contains($"- {model!["slug"]} (id {model["id"]}", text);
            Assert.All(model["prices_sats"]!.AsObject(), p => Assert.Contains($"{p.Key} s = {p.Value} sats", text));
        }

        Assert.Contains(manifest["openapi"]!.GetValue<string>(), text);
        Assert.Contains("/.well-known/l402-services", text);
        Assert.All(manifest["services"]![0]!["errors"]!.AsObject(), e => Assert.Contains(e.Key, text));
    }

    [Fact]
    public async Task The_openapi_document_describes_the_402_its_header_and_every_error_code()
    {
        var document = await GetJsonAsync("/openapi/v1.json");
        var post = document["paths"]!["/api/l402/animate-image"]!["post"]!;
        Assert.NotNull(post["responses"]!["402"]!["headers"]!["WWW-Authenticate"]);
        var described = post["responses"]!.ToJsonString();
        var manifest = await GetJsonAsync("/.well-known/l402-services");
        Assert.All(manifest["services"]![0]!["errors"]!.AsObject(), e => Assert.Contains(e.Key, described));
        Assert.Contains("Authorization", post["parameters"]!.ToJsonString());
    }

    [Fact]
    public async Task Llms_txt_tells_of_callbacks_the_event_stream_and_the_payment_scheme_with_its_receipt()
    {
        var text = await _host.CreateClient().GetStringAsync("/llms.txt");
        foreach (var term in new[] { "callback_url", "callback_id", "webhook_secret", "/api/l402/jobs/{jobId}/events", "text/event-stream", "Authorization: Payment", "Payment-Receipt" })
        {
            Assert.True(text.Contains(term, StringComparison.Ordinal), $"llms.txt does not mention {term}:\n{text}");
        }
    }

    [Fact]
    public async Task The_openapi_document_tells_of_callbacks_the_event_stream_and_the_payment_scheme_with_its_receipt()
    {
        var document = await GetJsonAsync("/openapi/v1.json");
        var post = document["paths"]!["/api/l402/animate-image"]!["post"]!;
        var described = post.ToJsonString();
        foreach (var term in new[] { "callback_url", "callback_id", "webhook_secret" })
        {
            Assert.True(described.Contains(term, StringComparison.Ordinal), $"the animate-image operation does not mention {term}: {described}");
        }

        var authorization = post["parameters"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "Authorization")!;
        Assert.Contains("Payment <base64url credential>", authorization["description"]!.GetValue<string>());

        Assert.All(new[] { "200", "202" }, status => Assert.NotNull(post["responses"]![status]!["headers"]!["Payment-Receipt"]));
        Assert.Contains("Payment id=", post["responses"]!["402"]!["headers"]!["WWW-Authenticate"]!["description"]!.GetValue<string>());
        var events = document["paths"]!["/api/l402/jobs/{jobId}/events"]!["get"]!;
        Assert.NotNull(events["responses"]!["200"]!["content"]!["text/event-stream"]);
    }

    [Fact]
    public void Every_error_code_the_server_answers_with_is_documented()
    {
        var source = Path.Combine(SatsMotion.Testing.RepositoryPaths.Root, "src", "SatsMotion.Server");
        var codes = Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories)
            .SelectMany(file => System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(file),
                @"(?:new(?: ApiError)?\(StatusCodes\.Status\d+\w*,\s*|\[""error_code""\] = )""([A-Z0-9_]+)""").Select(m => m.Groups[1].Value))
            .Distinct().ToList();
        Assert.Contains("PAYMENT_REQUIRED", codes);
        var documented = Agents.ServiceManifest.ErrorCodes.Keys.Concat(Agents.ServiceManifest.OtherErrorCodes.Keys).ToHashSet();
        Assert.DoesNotContain(codes, code => !documented.Contains(code));
    }

    [Theory]
    [InlineData("/.well-known/l402-services")]
    [InlineData("/llms.txt")]
    public async Task Discovery_is_cacheable_with_an_etag(string path)
    {
        var http = _host.CreateClient();
        using var first = await http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var tag = first.Headers.ETag!;
        Assert.Contains("max-age", first.Headers.CacheControl!.ToString());
        using var again = new HttpRequestMessage(HttpMethod.Get, path);
        again.Headers.IfNoneMatch.Add(tag);
        using var second = await http.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
    }

    public void Dispose() => _host.Dispose();
}
