using System.Text;
using System.Text.Json.Nodes;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace SatsMotion.Server.Tests;

/// <summary>
/// An MCP client session with the server's /mcp endpoint (streamable HTTP, the official C# SDK on both ends):
/// initialize, tools/list, a full paid call with the dev node, tool errors that carry the API's codes, and
/// malformed JSON-RPC answered with JSON-RPC errors.
/// </summary>
public sealed class McpHttpTests : IAsyncLifetime
{
    private readonly TestHost _host = new(kestrel: true);
    private McpClient _client = null!;

    public async Task InitializeAsync()
    {
        _host.StartServer();
        _client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri(_host.ServerAddress, "/mcp") }));
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        _host.Dispose();
    }

    private async Task<JsonNode> CallAsync(string tool, Dictionary<string, object?> arguments, bool expectError = false)
    {
        var result = await _client.CallToolAsync(tool, arguments);
        var text = Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;
        Assert.True(expectError == (result.IsError == true), text);
        return JsonNode.Parse(text)!;
    }

    [Fact]
    public async Task An_agent_lists_the_tools_and_pays_for_a_video_through_them()
    {
        Assert.Equal("SatsMotion", _client.ServerInfo?.Name);
        var tools = await _client.ListToolsAsync();
        Assert.Equal(["check_invoice", "create_animation_invoice", "get_job", "list_models", "quote_animation", "redeem_animation"], tools.Select(t => t.Name).Order());

        var models = await CallAsync("list_models", []);
        Assert.Equal(300, models["models"]![0]!["prices_sats"]!["3"]!.GetValue<long>());
        Assert.Equal(300, (await CallAsync("quote_animation", new() { ["duration"] = 3 }))["price_sats"]!.GetValue<long>());

        var image = Convert.ToBase64String(TestHost.DefaultImage);
        var request = new Dictionary<string, object?> { ["prompt"] = "slow zoom in", ["image"] = image, ["duration"] = 3 };
        var challenge = await CallAsync("create_animation_invoice", request);
        Assert.Equal(300, challenge["amount_sats"]!.GetValue<long>());
        var check = new Dictionary<string, object?> { ["payment_hash"] = challenge["payment_hash"]!.GetValue<string>(), ["macaroon"] = challenge["macaroon"]!.GetValue<string>() };
        Assert.Equal("open", (await CallAsync("check_invoice", check))["status"]!.GetValue<string>());

        var preimage = await _host.PayAsync(challenge["invoice"]!.GetValue<string>());
        Assert.Equal(preimage, (await CallAsync("check_invoice", check))["preimage"]!.GetValue<string>());

        var job = await CallAsync("redeem_animation", new(request) { ["macaroon"] = challenge["macaroon"]!.GetValue<string>(), ["preimage"] = preimage, ["wait_seconds"] = 60 });
        Assert.Equal("COMPLETED", job["status"]!.GetValue<string>());
        Assert.StartsWith(_host.ServerAddress.ToString().TrimEnd('/'), job["videoUrl"]!.GetValue<string>());
        Assert.Equal(job["videoUrl"]!.GetValue<string>(), (await CallAsync("get_job", new() { ["job_id"] = job["jobId"]!.GetValue<string>() }))["videoUrl"]!.GetValue<string>());

        // The same request through the HTTP API with the same token is the same job: one token, one job.
        using var http = await _host.AnimateAsync(TestHost.Body(image: TestHost.DefaultImage), TestHost.Credential(challenge["macaroon"]!.GetValue<string>(), preimage));
        Assert.Equal(job["jobId"]!.GetValue<string>(), (await _host.JsonAsync(http))["jobId"]!.GetValue<string>());
        Assert.Equal(1, _host.Count("jobs"));
    }

    [Fact]
    public async Task An_agent_pays_through_the_tools_with_a_Payment_credential_and_gets_the_receipt()
    {
        var request = new Dictionary<string, object?> { ["prompt"] = "slow zoom in", ["image"] = Convert.ToBase64String(TestHost.DefaultImage), ["duration"] = 3 };
        var challenge = await CallAsync("create_animation_invoice", request);
        var payment = MppCaller.Parse(challenge["payment_challenge"]!.GetValue<string>());
        Assert.StartsWith("Payment ", challenge["payment_challenge"]!.GetValue<string>());
        Assert.Equal(challenge["payment_challenge_id"]!.GetValue<string>(), payment["id"]);
        Assert.Equal(challenge["invoice"]!.GetValue<string>(), MppCaller.Request(payment)["methodDetails"]!["invoice"]!.GetValue<string>());

        var preimage = await _host.PayAsync(challenge["invoice"]!.GetValue<string>());
        var wrong = await CallAsync("redeem_animation", new(request) { ["authorization"] = MppCaller.Credential(payment, new string('0', 64)) }, expectError: true);
        Assert.Equal("MPP_INVALID_PREIMAGE", wrong["error_code"]!.GetValue<string>());

        var job = await CallAsync("redeem_animation", new(request) { ["authorization"] = MppCaller.Credential(payment, preimage), ["wait_seconds"] = 60 });
        Assert.Equal("COMPLETED", job["status"]!.GetValue<string>());
        var receipt = JsonNode.Parse(MppCaller.Decode(job["payment_receipt"]!.GetValue<string>()))!;
        Assert.Equal(challenge["payment_hash"]!.GetValue<string>(), receipt["reference"]!.GetValue<string>());
        Assert.Equal(payment["id"], receipt["challengeId"]!.GetValue<string>());

        // The L402 credential of the same invoice is the same job, without a receipt.
        var again = await CallAsync("redeem_animation", new(request) { ["macaroon"] = challenge["macaroon"]!.GetValue<string>(), ["preimage"] = preimage, ["wait_seconds"] = 0 });
        Assert.Equal(job["jobId"]!.GetValue<string>(), again["jobId"]!.GetValue<string>());
        Assert.Null(again["payment_receipt"]);
        Assert.Equal(1, _host.Count("jobs"));
    }

    [Fact]
    public async Task Redeem_without_a_credential_names_what_is_missing()
    {
        var missing = await CallAsync("redeem_animation", new() { ["prompt"] = "zoom", ["image"] = Convert.ToBase64String(TestHost.DefaultImage), ["macaroon"] = "AgE" }, expectError: true);
        Assert.Equal("INVALID_INPUT", missing["error_code"]!.GetValue<string>());
        Assert.Equal("authorization", missing["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task Refusals_are_tool_errors_carrying_the_apis_codes_and_hints()
    {
        var badDuration = await CallAsync("create_animation_invoice", new() { ["prompt"] = "zoom", ["image"] = Convert.ToBase64String(TestHost.DefaultImage), ["duration"] = 99 }, expectError: true);
        Assert.Equal("INVALID_INPUT", badDuration["error_code"]!.GetValue<string>());
        Assert.Equal("duration", badDuration["field"]!.GetValue<string>());
        Assert.Equal(0, _host.Count("dev_invoices"));

        var badImage = await CallAsync("create_animation_invoice", new() { ["prompt"] = "zoom", ["image"] = "bm90IGFuIGltYWdl" }, expectError: true);
        Assert.Equal("image", badImage["field"]!.GetValue<string>());

        var challenge = await CallAsync("create_animation_invoice", new() { ["prompt"] = "zoom", ["image"] = Convert.ToBase64String(TestHost.DefaultImage), ["duration"] = 3 });
        var forged = await CallAsync("redeem_animation", new()
        {
            ["prompt"] = "zoom",
            ["image"] = Convert.ToBase64String(TestHost.DefaultImage),
            ["duration"] = 3,
            ["macaroon"] = challenge["macaroon"]!.GetValue<string>(),
            ["preimage"] = new string('0', 64),
        }, expectError: true);
        Assert.Equal("L402_INVALID_PREIMAGE", forged["error_code"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(forged["hint"]!.GetValue<string>()));
        Assert.Equal("JOB_NOT_FOUND", (await CallAsync("get_job", new() { ["job_id"] = "nope" }, expectError: true))["error_code"]!.GetValue<string>());
        Assert.Equal(0, _host.Count("jobs"));
    }

    [Theory]
    [InlineData("""{"jsonrpc":"1.0","id":1,"method":"tools/list"}""", -32600)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/explode"}""", -32601)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"no_such_tool","arguments":{}}}""", -32602)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"quote_animation","arguments":{"duration":"soon"}}}""", null)]
    public async Task Malformed_json_rpc_gets_a_json_rpc_or_tool_error(string message, int? code)
    {
        using var http = new HttpClient { BaseAddress = _host.ServerAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = new StringContent(message, Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        request.Headers.Add("MCP-Protocol-Version", "2025-06-18");
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = JsonNode.Parse(text.Contains("data:", StringComparison.Ordinal) ? text.Split("data:")[1].Trim() : text)!;
        if (code is null)
        {
            Assert.True(json["result"]?["isError"]?.GetValue<bool>() == true || json["error"] is not null, text);
        }
        else
        {
            Assert.Equal(code, json["error"]?["code"]?.GetValue<int>());
        }
    }
}
