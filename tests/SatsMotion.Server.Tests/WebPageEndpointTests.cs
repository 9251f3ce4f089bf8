using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace SatsMotion.Server.Tests;

/// <summary>The invoice status for the macaroon's holder (the preimage only once settled), the QR codes and the page.</summary>
public sealed class WebPageEndpointTests : IDisposable
{
    private readonly TestHost _host = new();

    private async Task<(HttpStatusCode Status, JsonNode Body)> StatusAsync(string paymentHash, string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/l402/invoices/{paymentHash}");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await _host.CreateClient().SendAsync(request);
        return (response.StatusCode, await _host.JsonAsync(response));
    }

    [Fact]
    public async Task Holder_sees_open_then_settled_with_the_preimage()
    {
        using var challenge = await _host.AnimateAsync(TestHost.Body());
        var json = await _host.JsonAsync(challenge);
        var (macaroon, hash) = (json["macaroon"]!.GetValue<string>(), json["payment_hash"]!.GetValue<string>());

        var (status, open) = await StatusAsync(hash, $"L402 {macaroon}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("open", open["status"]!.GetValue<string>());
        Assert.Null(open["preimage"]);

        var preimage = await _host.PayAsync(json["invoice"]!.GetValue<string>());
        var (_, settled) = await StatusAsync(hash, $"L402 {macaroon}");
        Assert.Equal("settled", settled["status"]!.GetValue<string>());
        Assert.Equal(preimage, settled["preimage"]!.GetValue<string>());
    }

    [Fact]
    public async Task Only_the_holder_of_that_invoice_may_ask()
    {
        using var first = await _host.AnimateAsync(TestHost.Body());
        using var second = await _host.AnimateAsync(TestHost.Body(prompt: "pan left"));
        var a = await _host.JsonAsync(first);
        var b = await _host.JsonAsync(second);
        var hash = a["payment_hash"]!.GetValue<string>();
        await _host.PayAsync(a["invoice"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.Unauthorized, (await StatusAsync(hash, null)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await StatusAsync(hash, $"L402 {b["macaroon"]!.GetValue<string>()}")).Status);
        using var other = new TestHost();
        using var foreign = await other.AnimateAsync(TestHost.Body());
        var (status, body) = await StatusAsync(hash, $"L402 {(await other.JsonAsync(foreign))["macaroon"]!.GetValue<string>()}");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("L402_INVALID_TOKEN", body["error_code"]!.GetValue<string>());
        Assert.DoesNotContain("preimage", body.ToJsonString());
    }

    [Fact]
    public async Task Qr_codes_are_png_and_bounded()
    {
        using var png = await _host.CreateClient().GetAsync("/api/qr?data=LIGHTNING%3ALNBCRT1TEST");
        Assert.Equal(new MediaTypeHeaderValue("image/png"), png.Content.Headers.ContentType);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], (await png.Content.ReadAsByteArrayAsync())[..4]);
        using var tooLong = await _host.CreateClient().GetAsync("/api/qr?data=" + new string('A', 3000));
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
    }

    [Fact]
    public async Task Page_is_served_at_the_root()
    {
        var html = await _host.CreateClient().GetStringAsync("/");
        Assert.Contains("<script src=\"app.js\">", html);
        Assert.Contains("id=\"get-invoice\"", html);
    }

    public void Dispose() => _host.Dispose();
}
