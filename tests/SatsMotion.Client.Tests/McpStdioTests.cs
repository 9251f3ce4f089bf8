using System.Text.Json.Nodes;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using SatsMotion.Client.Commands;
using SatsMotion.Server.Tests;
using SatsMotion.Testing;

namespace SatsMotion.Client.Tests;

/// <summary>
/// `satsmotion mcp` as an agent starts it: its own process on stdio, driven by the official MCP client SDK, against
/// a live server with the dev wallet. With a budget it pays for a video in one call, never twice for the same
/// request, and refuses without paying once the budget would be exceeded; without one the agent gets the invoice.
/// </summary>
public sealed class McpStdioTests : IAsyncLifetime
{
    private readonly TestHost _server = new(kestrel: true);
    private readonly string _work = Directory.CreateTempSubdirectory("satsmotion-mcp-").FullName;

    public Task InitializeAsync()
    {
        _server.StartServer();
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _server.Dispose();
        Directory.Delete(_work, true);
        return Task.CompletedTask;
    }

    // The client's own build output: it carries its dependencies (this test project gets some from ASP.NET Core's framework).
    private static string ClientProgram => Path.Combine(RepositoryPaths.Root, "src", "SatsMotion.Client", "bin",
        Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(typeof(Cli).Assembly.Location))!)!, "net10.0", "SatsMotion.Client.dll");

    private Task<McpClient> StartAsync(params string[] extra) => McpClient.CreateAsync(new StdioClientTransport(new StdioClientTransportOptions
    {
        Name = "satsmotion",
        Command = "dotnet",
        Arguments = [ClientProgram, "mcp", "--server", _server.ServerAddress.ToString(), .. extra],
        WorkingDirectory = _work,
        EnvironmentVariables = new Dictionary<string, string?> { ["SATSMOTION_CONFIG_DIR"] = Path.Combine(_work, "config") },
    }));

    private static async Task<(bool IsError, JsonNode Json)> CallAsync(McpClient client, string tool, Dictionary<string, object?> arguments)
    {
        var result = await client.CallToolAsync(tool, arguments);
        return (result.IsError == true, JsonNode.Parse(Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text)!);
    }

    [Fact]
    public async Task With_a_wallet_and_a_budget_an_agent_gets_a_video_in_one_call_and_never_pays_twice_or_beyond_the_budget()
    {
        await using var client = await StartAsync("--wallet", "dev", "--budget", "500", "--max-cost", "400");
        Assert.Contains("animate_image", (await client.ListToolsAsync()).Select(t => t.Name));
        var image = Path.Combine(_work, "photo.jpg");
        await File.WriteAllBytesAsync(image, TestHost.Jpeg());
        var request = new Dictionary<string, object?> { ["image"] = image, ["prompt"] = "slow zoom in", ["duration"] = 3 };

        var (failed, video) = await CallAsync(client, "animate_image", request);
        Assert.False(failed, video.ToJsonString());
        Assert.Equal(300, video["paid_sats"]!.GetValue<long>());
        Assert.Equal(200, video["budget_left_sats"]!.GetValue<long>());
        Assert.Equal(3, (await Ffprobe.ProbeAsync(video["path"]!.GetValue<string>())).DurationSeconds, 1);

        var (againFailed, again) = await CallAsync(client, "animate_image", request);
        Assert.False(againFailed, again.ToJsonString());
        Assert.Equal(0, again["paid_sats"]!.GetValue<long>());
        Assert.Equal(video["jobId"]!.GetValue<string>(), again["jobId"]!.GetValue<string>());

        var invoicesBefore = _server.Count("dev_invoices");
        var (refused, error) = await CallAsync(client, "animate_image", new(request) { ["prompt"] = "pan left" });
        Assert.True(refused);
        Assert.Equal("BUDGET_EXCEEDED", error["error_code"]!.GetValue<string>());
        Assert.Equal(invoicesBefore, _server.Count("dev_invoices"));
        Assert.Equal(1, _server.Count("jobs"));
    }

    [Fact]
    public async Task Without_a_budget_an_agent_gets_the_invoice_to_show_and_redeems_with_the_preimage()
    {
        await using var client = await StartAsync();
        var tools = (await client.ListToolsAsync()).Select(t => t.Name).Order().ToList();
        Assert.Equal(["check_invoice", "create_animation_invoice", "get_job", "list_models", "quote_animation", "redeem_animation"], tools);

        var image = Convert.ToBase64String(TestHost.DefaultImage);
        var request = new Dictionary<string, object?> { ["prompt"] = "orbit", ["image"] = image, ["duration"] = 3 };
        var (_, quote) = await CallAsync(client, "quote_animation", new() { ["duration"] = 3 });
        var (_, challenge) = await CallAsync(client, "create_animation_invoice", request);
        Assert.Equal(quote["price_sats"]!.GetValue<long>(), challenge["amount_sats"]!.GetValue<long>());

        // The user's own wallet pays (here the dev node's test wallet).
        var preimage = await _server.PayAsync(challenge["invoice"]!.GetValue<string>());
        var (failed, job) = await CallAsync(client, "redeem_animation", new(request) { ["macaroon"] = challenge["macaroon"]!.GetValue<string>(), ["preimage"] = preimage, ["wait_seconds"] = 60 });
        Assert.False(failed, job.ToJsonString());
        Assert.Equal("COMPLETED", job["status"]!.GetValue<string>());

        var (badInput, error) = await CallAsync(client, "create_animation_invoice", new() { ["prompt"] = "orbit", ["image"] = image, ["duration"] = 99 });
        Assert.True(badInput);
        Assert.Equal("INVALID_INPUT", error["error_code"]!.GetValue<string>());
    }
}
