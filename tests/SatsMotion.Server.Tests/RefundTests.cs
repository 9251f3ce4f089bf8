using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SatsMotion.Testing;

namespace SatsMotion.Server.Tests;

/// <summary>
/// Refunds of FAILED jobs as LNURL-withdraw links (LUD-01/03), claimed by an independent wallet written in JS from
/// the LUDs (tests/interop/lnurl-withdraw.mjs): exactly the price, once, and exclusive with a paid retry. The dev
/// node records the claim; no money moves.
/// </summary>
public sealed class RefundTests : IDisposable
{
    private static readonly Dictionary<string, string?> Failing = new()
    {
        ["SatsMotion:Refunds"] = "true",
        ["SatsMotion:EncoderPreset"] = "no-such-preset",
        ["SatsMotion:MaxAttempts"] = "1",
    };

    private readonly TestHost _host = new(kestrel: true, settings: new(Failing));

    public RefundTests() => _host.StartServer();

    private async Task<(string Body, string Credential, JsonNode Job)> FailedJobAsync(TestHost host)
    {
        var body = TestHost.Body();
        var (macaroon, preimage, _) = await host.BuyAsync(body);
        var credential = TestHost.Credential(macaroon, preimage);
        using var response = await host.AnimateAsync(body, credential);
        var job = await host.JsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.InternalServerError, job.ToJsonString());
        return (body, credential, job);
    }

    private static Task<JsonNode> WalletAsync(JsonNode job, long? amountMsat = null) =>
        NodeScript.RunAsync("lnurl-withdraw.mjs", new { lnurl = job["refund"]!["lnurl"]!.GetValue<string>(), amountMsat });

    private async Task<JsonNode> JobAsync(string jobId) => (await _host.CreateClient().GetFromJsonAsync<JsonNode>($"/api/l402/jobs/{jobId}"))!;

    [Fact]
    public async Task A_failed_job_offers_its_price_once_and_a_claimed_refund_ends_the_token()
    {
        var (body, credential, job) = await FailedJobAsync(_host);
        var refund = job["refund"]!;
        Assert.Equal("available", refund["status"]!.GetValue<string>());
        Assert.Equal(300, refund["amount_sats"]!.GetValue<long>());

        var claim = await WalletAsync(job);
        Assert.Equal("withdrawRequest", claim["request"]!["tag"]!.GetValue<string>());
        Assert.Equal(300_000, claim["request"]!["minWithdrawable"]!.GetValue<long>());
        Assert.Equal(300_000, claim["request"]!["maxWithdrawable"]!.GetValue<long>());
        Assert.Equal("OK", claim["answer"]!["status"]!.GetValue<string>());

        var after = await JobAsync(job["jobId"]!.GetValue<string>());
        Assert.Equal("claimed", after["refund"]!["status"]!.GetValue<string>());
        Assert.Null(after["refund"]!["lnurl"]);

        var again = await WalletAsync(job);
        Assert.Equal("ERROR", again["request"]!["status"]!.GetValue<string>());

        using var retry = await _host.AnimateAsync(body, credential);
        Assert.Equal(HttpStatusCode.Conflict, retry.StatusCode);
        Assert.Equal("REFUND_CLAIMED", (await _host.JsonAsync(retry))["error_code"]!.GetValue<string>());
        Assert.Equal(1, _host.Count("dev_invoices"));
    }

    [Fact]
    public async Task A_paid_retry_withdraws_the_refund()
    {
        var (body, credential, job) = await FailedJobAsync(_host);
        _host.Dispose();
        using var repaired = new TestHost(_host.DataDirectory, settings: new() { ["SatsMotion:Refunds"] = "true" });
        using var retried = await repaired.AnimateAsync(body, credential);
        var done = await repaired.JsonAsync(retried);
        Assert.True(retried.StatusCode == HttpStatusCode.OK, done.ToJsonString());
        Assert.Null(done["refund"]);

        // The link was minted by the first server's address: ask the new one for the same withdrawal.
        Assert.True(Lightning.Lnurl.Lnurl.TryDecode(job["refund"]!["lnurl"]!.GetValue<string>(), out var link));
        var request = (await repaired.CreateClient().GetFromJsonAsync<JsonNode>(link!.PathAndQuery))!;
        Assert.Equal("ERROR", request["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_claim_for_another_amount_is_refused_and_the_refund_stays()
    {
        var (_, _, job) = await FailedJobAsync(_host);
        var claim = await WalletAsync(job, amountMsat: 299_000);
        Assert.Equal("ERROR", claim["answer"]!["status"]!.GetValue<string>());
        Assert.Contains("300000 msat", claim["answer"]!["reason"]!.GetValue<string>());
        Assert.Equal("available", (await JobAsync(job["jobId"]!.GetValue<string>()))["refund"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Concurrent_claims_are_paid_once()
    {
        var (_, _, job) = await FailedJobAsync(_host);
        var claims = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => WalletAsync(job)));
        Assert.Equal(1, claims.Count(c => c["answer"]?["status"]?.GetValue<string>() == "OK"));
    }

    [Fact]
    public async Task Without_refunds_enabled_a_failed_job_offers_none()
    {
        using var host = new TestHost(settings: new() { ["SatsMotion:EncoderPreset"] = "no-such-preset", ["SatsMotion:MaxAttempts"] = "1" });
        var (_, _, job) = await FailedJobAsync(host);
        Assert.Null(job["refund"]);
    }

    public void Dispose() => _host.Dispose();
}
