using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Lightning;
using SatsMotion.Server.Tests;
using SatsMotion.Testing;

namespace SatsMotion.Backends.Tests;

/// <summary>
/// What every real Lightning backend must do through the real server, each against a fake of its node: the paid
/// flow to a video, refusals and outages that never give a video away or lose a payment, invoices that are not what
/// was asked for, the web page's invoice poll and paying out. A subclass supplies the fake and its connection strings.
/// </summary>
public abstract partial class BackendScenarios<TNode> : IAsyncLifetime where TNode : FakeNode, new()
{
    private TestHost? _host;

    protected TNode Node { get; } = new();

    /// <summary>The connection string that reaches <see cref="Node"/> with a good credential.</summary>
    protected abstract string Connection { get; }

    /// <summary>The credential in <see cref="Connection"/>, which must never be printed.</summary>
    protected abstract string Secret { get; }

    /// <summary>The same with a credential the node refuses.</summary>
    protected abstract string ConnectionWithWrongCredential { get; }

    protected TestHost Host => _host ??= new TestHost(settings: new() { ["SatsMotion:Lightning"] = Connection });

    public async Task InitializeAsync() => await Node.StartAsync();

    public async Task DisposeAsync()
    {
        _host?.Dispose();
        await Node.DisposeAsync();
    }

    private async Task<(string Body, JsonNode Challenge)> ChallengeAsync(string prompt = "slow zoom in")
    {
        var (body, challenge, _) = await ChallengesAsync(prompt);
        return (body, challenge);
    }

    // The 402's body and its Payment challenge: one invoice, a credential in either scheme.
    private async Task<(string Body, JsonNode Challenge, Dictionary<string, string> Payment)> ChallengesAsync(string prompt = "slow zoom in")
    {
        var body = TestHost.Body(prompt);
        using var response = await Host.AnimateAsync(body);
        var json = await Host.JsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.PaymentRequired, json.ToJsonString());
        return (body, json, MppCaller.Challenge(response));
    }

    private static string Invoice(JsonNode challenge) => challenge["invoice"]!.GetValue<string>();

    private string Credential(JsonNode challenge, string preimage) => TestHost.Credential(challenge["macaroon"]!.GetValue<string>(), preimage);

    private static async Task AssertLightningErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(status == response.StatusCode, $"{response.StatusCode}: {body}");
        Assert.Equal(code, body["error_code"]!.GetValue<string>());
        Assert.Empty(response.Headers.WwwAuthenticate);
        Assert.Null(body["invoice"]);
    }

    [Fact]
    public async Task Challenge_pay_at_the_node_redeem_and_get_the_video()
    {
        var (body, challenge) = await ChallengeAsync();
        Assert.Equal(300, challenge["price_sats"]!.GetValue<long>());
        Assert.Equal(300_000, Node.Find(challenge["payment_hash"]!.GetValue<string>())!.AmountMsat);
        var preimage = Node.Pay(Invoice(challenge));

        using var response = await Host.AnimateAsync(body, Credential(challenge, preimage));
        var job = await Host.JsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, job.ToJsonString());
        var video = Path.Combine(Host.DataDirectory, "videos", job["videoUrl"]!.GetValue<string>().Split('/')[^1]);
        Assert.Equal(3, (await Ffprobe.ProbeAsync(video)).DurationSeconds, 1);
    }

    [Fact]
    public async Task A_credential_the_node_refuses_stops_the_server_at_start_with_one_line()
    {
        var (exit, stderr) = await StartServerProcessAsync(ConnectionWithWrongCredential);
        Assert.Equal(3, exit);
        Assert.Contains("refused the credential", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task The_server_starts_against_a_healthy_node_and_names_it_in_the_banner()
    {
        var address = new Uri($"http://127.0.0.1:{LoopbackPorts.Free()}");
        var data = Directory.CreateTempSubdirectory("backend-process-").FullName;
        var start = new ProcessStartInfo("dotnet", [typeof(Program).Assembly.Location, "--data", data, "--urls", address.GetLeftPart(UriPartial.Authority), "--SatsMotion:Lightning=" + Connection]);
        await using var server = await ServerProcess.StartAsync(start, address, TimeSpan.FromSeconds(20));
        var output = await server.StopAsync();
        Assert.Contains("Lightning: ", output);
        Assert.Contains(", regtest", output);
        Assert.DoesNotContain("NO REAL MONEY", output);
        Assert.DoesNotContain(Secret, output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Node_down_at_challenge_time_is_503_with_retry_after_and_no_invoice()
    {
        await ChallengeAsync(); // learns the network while the node is up
        Node.Mode = NodeMode.Down;
        using var response = await Host.AnimateAsync(TestHost.Body("pan left"));
        await AssertLightningErrorAsync(response, HttpStatusCode.ServiceUnavailable, "LIGHTNING_UNAVAILABLE");
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
    }

    [Theory]
    [InlineData("L402")]
    [InlineData("Payment")]
    public async Task Node_down_at_redemption_is_503_and_the_same_token_succeeds_once_it_is_back(string scheme)
    {
        var (body, challenge, payment) = await ChallengesAsync();
        var preimage = Node.Pay(Invoice(challenge));
        var credential = scheme == "L402" ? Credential(challenge, preimage) : MppCaller.Credential(payment, preimage);
        Node.Mode = NodeMode.Down;
        using (var down = await Host.AnimateAsync(body, credential, "respond-async"))
        {
            await AssertLightningErrorAsync(down, HttpStatusCode.ServiceUnavailable, "LIGHTNING_UNAVAILABLE");
            Assert.False(MppCaller.HasReceipt(down));
        }

        Assert.Equal(0, Host.Count("jobs"));
        Node.Mode = NodeMode.Normal;
        using var back = await Host.AnimateAsync(body, credential, "respond-async");
        Assert.True(back.IsSuccessStatusCode, await back.Content.ReadAsStringAsync());
        Assert.Equal(scheme == "Payment", MppCaller.HasReceipt(back));
        Assert.Equal(1, Host.Count("jobs"));
    }

    [Fact]
    public async Task A_preimage_before_the_node_reports_the_invoice_settled_redeems_nothing_until_it_does()
    {
        var (body, challenge) = await ChallengeAsync();
        var preimage = Convert.ToHexStringLower(Node.Find(challenge["payment_hash"]!.GetValue<string>())!.Preimage);
        using (var early = await Host.AnimateAsync(body, Credential(challenge, preimage), "respond-async"))
        {
            Assert.Equal(HttpStatusCode.PaymentRequired, early.StatusCode);
            Assert.Equal("PAYMENT_NOT_SETTLED", (await Host.JsonAsync(early))["error_code"]!.GetValue<string>());
        }

        Assert.Equal(0, Host.Count("jobs"));
        Node.Pay(Invoice(challenge));
        using var paid = await Host.AnimateAsync(body, Credential(challenge, preimage), "respond-async");
        Assert.True(paid.IsSuccessStatusCode, await paid.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(NodeMode.WrongAmount)]
    [InlineData(NodeMode.WrongHash)]
    public async Task An_invoice_that_is_not_what_was_asked_for_is_502_never_a_challenge(NodeMode mode)
    {
        await ChallengeAsync();
        Node.Mode = mode;
        using var response = await Host.AnimateAsync(TestHost.Body("tilt up"));
        await AssertLightningErrorAsync(response, HttpStatusCode.BadGateway, "LIGHTNING_BACKEND_ERROR");
    }

    [Fact]
    public async Task A_replay_after_the_node_went_away_still_returns_the_job()
    {
        var (body, challenge) = await ChallengeAsync();
        var preimage = Node.Pay(Invoice(challenge));
        using var first = await Host.AnimateAsync(body, Credential(challenge, preimage), "respond-async");
        var jobId = (await Host.JsonAsync(first))["jobId"]!.GetValue<string>();

        Node.Mode = NodeMode.Down;
        using var replay = await Host.AnimateAsync(body, Credential(challenge, preimage), "respond-async");
        Assert.True(replay.IsSuccessStatusCode, await replay.Content.ReadAsStringAsync());
        Assert.Equal(jobId, (await Host.JsonAsync(replay))["jobId"]!.GetValue<string>());
        Assert.Equal(1, Host.Count("jobs"));
    }

    [Fact]
    public async Task The_web_page_poll_sees_the_invoice_open_then_settled_with_its_preimage()
    {
        var (_, challenge) = await ChallengeAsync();
        async Task<JsonNode> PollAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/l402/invoices/{challenge["payment_hash"]}");
            request.Headers.TryAddWithoutValidation("Authorization", $"L402 {challenge["macaroon"]}");
            using var response = await Host.CreateClient().SendAsync(request);
            return await Host.JsonAsync(response);
        }

        Assert.Equal("open", (await PollAsync())["status"]!.GetValue<string>());
        var preimage = Node.Pay(Invoice(challenge));
        var settled = await PollAsync();
        Assert.Equal("settled", settled["status"]!.GetValue<string>());
        Assert.Equal(preimage, settled["preimage"]!.GetValue<string>());
    }

    [Fact]
    public async Task Pays_out_within_the_fee_limit()
    {
        var backend = Host.Services.GetRequiredService<ILightningBackend>();
        var invoice = FakeNode.RemoteInvoice(250);
        var result = await backend.PayInvoiceAsync(invoice, 5, CancellationToken.None);
        Assert.Equal(32, result.Preimage.Length);
        Assert.Equal([invoice], Node.PaidOut);
    }

    protected static Task<(int Exit, string Stderr)> StartServerProcessAsync(string connection) => ServerProcess.RunUntilExitAsync(
        new ProcessStartInfo("dotnet", [typeof(Program).Assembly.Location, "--data", Directory.CreateTempSubdirectory("backend-process-").FullName,
            "--urls", $"http://127.0.0.1:{LoopbackPorts.Free()}", "--SatsMotion:Lightning=" + connection]),
        TimeSpan.FromSeconds(60));
}
