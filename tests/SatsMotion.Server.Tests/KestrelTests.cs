using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SatsMotion.Testing;

namespace SatsMotion.Server.Tests;

/// <summary>The server on real Kestrel over loopback, driven by real HTTP clients.</summary>
public sealed class KestrelTests : IDisposable
{
    private readonly TestHost _host = new(kestrel: true);

    [Fact]
    public async Task Alby_fetchWithL402_pays_and_gets_the_video()
    {
        _host.StartServer();
        var baseUrl = _host.ServerAddress.ToString().TrimEnd('/');
        var result = await NodeScript.RunAsync("alby-fetch.mjs", new
        {
            url = baseUrl + "/api/l402/animate-image",
            payUrl = baseUrl + "/api/dev/pay",
            body = TestHost.Body(prompt: "pan right", duration: 4),
        }, TimeSpan.FromSeconds(120));

        Assert.Equal(200, result["status"]!.GetValue<int>());
        Assert.Equal(1, result["paidInvoices"]!.GetValue<int>());
        Assert.True(result["paymentPaid"]!.GetValue<bool>());
        Assert.Equal(400, result["amountSat"]!.GetValue<int>());
        var videoUrl = result["json"]!["videoUrl"]!.GetValue<string>();
        Assert.StartsWith(baseUrl + "/videos/", videoUrl);

        using var http = new HttpClient();
        var path = Path.Combine(_host.DataDirectory, "alby.mp4");
        await File.WriteAllBytesAsync(path, await http.GetByteArrayAsync(videoUrl));
        Assert.Equal(4.0, (await Ffprobe.ProbeAsync(path)).DurationSeconds, 2);
    }

    // mppx takes a Payment challenge wherever it is; Alby's MPP clients read the first challenge, so they get mpp,l402.
    [Theory]
    [InlineData("mppx", "l402,mpp")]
    [InlineData("mppx", "mpp,l402")]
    [InlineData("fetchWithMpp", "mpp,l402")]
    [InlineData("fetch402", "mpp,l402")]
    public async Task Independent_MPP_clients_pay_with_a_Payment_credential_and_get_the_video_and_our_receipt(string client, string schemes)
    {
        using var host = new TestHost(kestrel: true, settings: new() { ["SatsMotion:PaymentSchemes"] = schemes });
        host.StartServer();
        var baseUrl = host.ServerAddress.ToString().TrimEnd('/');
        var result = await NodeScript.RunAsync("mpp-fetch.mjs", new
        {
            client,
            url = baseUrl + "/api/l402/animate-image",
            payUrl = baseUrl + "/api/dev/pay",
            body = TestHost.Body(prompt: "pan right", duration: 3),
        }, TimeSpan.FromSeconds(120));

        Assert.True(result["status"]!.GetValue<int>() == 200, result.ToJsonString());
        Assert.Equal(1, result["paidInvoices"]!.GetValue<int>());
        Assert.Equal("Payment", result["credentialScheme"]!.GetValue<string>());
        Assert.StartsWith(baseUrl + "/videos/", result["json"]!["videoUrl"]!.GetValue<string>());
        Assert.Equal("private", result["cacheControl"]!.GetValue<string>());

        // mppx's receipt schema accepts ours, and it names the payment and the challenge, never the preimage.
        var receipt = result["receipt"] ?? throw new Xunit.Sdk.XunitException(result["receiptError"]!.GetValue<string>());
        Assert.Equal("lightning", receipt["method"]!.GetValue<string>());
        Assert.Equal(result["paymentHash"]!.GetValue<string>(), receipt["reference"]!.GetValue<string>());
        Assert.Equal(result["challengeId"]!.GetValue<string>(), receipt["challengeId"]!.GetValue<string>());
        Assert.DoesNotContain(result["preimage"]!.GetValue<string>(), receipt.ToJsonString());
        Assert.Equal(1, host.Count("jobs"));
    }

    [Fact]
    public async Task Plain_http_client_over_a_socket_sees_the_same_flow()
    {
        _host.StartServer();
        using var http = new HttpClient { BaseAddress = _host.ServerAddress };
        var body = TestHost.Body();
        using var challenge = await http.PostAsync("/api/l402/animate-image", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.PaymentRequired, challenge.StatusCode);
        var json = (await challenge.Content.ReadFromJsonAsync<JsonNode>())!;
        using var pay = await http.PostAsJsonAsync("/api/dev/pay", new { invoice = json["invoice"]!.GetValue<string>() });
        var preimage = (await pay.Content.ReadFromJsonAsync<JsonNode>())!["preimage"]!.GetValue<string>();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/l402/animate-image") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", TestHost.Credential(json["macaroon"]!.GetValue<string>(), preimage));
        using var redeemed = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, redeemed.StatusCode);
        Assert.NotNull((await redeemed.Content.ReadFromJsonAsync<JsonNode>())!["videoUrl"]);
    }

    public void Dispose() => _host.Dispose();
}
