using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using SatsMotion.Lightning;
using SatsMotion.Lightning.Bolt11;

namespace SatsMotion.Server.Tests;

/// <summary>POST /api/dev/pay: the dev node settles only its own, unexpired invoices, once.</summary>
public sealed class DevWalletTests : IDisposable
{
    private readonly TestHost _host = new();

    [Fact]
    public async Task Paying_twice_returns_the_same_preimage_which_hashes_to_the_invoice()
    {
        using var challenge = await _host.AnimateAsync(TestHost.Body());
        var invoice = (await _host.JsonAsync(challenge))["invoice"]!.GetValue<string>();
        var first = await _host.PayAsync(invoice);
        var second = await _host.PayAsync(invoice);
        Assert.Equal(first, second);
        Assert.Equal(Bolt11Codec.Decode(invoice).PaymentHash, SHA256.HashData(Convert.FromHexString(first)));
    }

    [Fact]
    public async Task Invoice_of_another_node_is_not_paid()
    {
        var foreign = Bolt11Codec.Encode(Bolt11Network.Regtest, 500_000, DateTimeOffset.UtcNow,
            [Bolt11TaggedField.PaymentHash(RandomNumberGenerator.GetBytes(32)), Bolt11TaggedField.PaymentSecret(new byte[32]), Bolt11TaggedField.Description("x")],
            RandomNumberGenerator.GetBytes(32));
        using var response = await _host.CreateClient().PostAsJsonAsync("/api/dev/pay", new { invoice = foreign });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("INVOICE_NOT_FOUND", (await _host.JsonAsync(response))["error_code"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"invoice":"lnbcrt1garbage"}""", HttpStatusCode.BadRequest, "INVALID_INVOICE")]
    [InlineData("""{"invoice":""}""", HttpStatusCode.BadRequest, "INVALID_INPUT")]
    [InlineData("""not json""", HttpStatusCode.BadRequest, "INVALID_INPUT")]
    [InlineData("""{}""", HttpStatusCode.BadRequest, "INVALID_INPUT")]
    public async Task Malformed_requests_are_refused(string body, HttpStatusCode status, string code)
    {
        using var response = await _host.CreateClient().PostAsync("/api/dev/pay", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(code, (await _host.JsonAsync(response))["error_code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Node_reports_invoice_states_by_payment_hash()
    {
        using var challenge = await _host.AnimateAsync(TestHost.Body());
        var invoice = Bolt11Codec.Decode((await _host.JsonAsync(challenge))["invoice"]!.GetValue<string>());
        var node = (ILightningBackend)_host.Services.GetService(typeof(ILightningBackend))!;
        Assert.Equal(InvoiceState.Open, (await node.LookupInvoiceAsync(invoice.PaymentHash, CancellationToken.None)).State);
        var preimage = await _host.PayAsync(invoice.PaymentRequest);
        var settled = await node.LookupInvoiceAsync(invoice.PaymentHash, CancellationToken.None);
        Assert.Equal(InvoiceState.Settled, settled.State);
        Assert.Equal(preimage, Convert.ToHexStringLower(settled.Preimage!));
        Assert.Equal(InvoiceState.Unknown, (await node.LookupInvoiceAsync(new byte[32], CancellationToken.None)).State);
    }

    [Fact]
    public async Task Node_key_persists_across_restarts()
    {
        using var first = await _host.AnimateAsync(TestHost.Body());
        var payee = Bolt11Codec.Decode((await _host.JsonAsync(first))["invoice"]!.GetValue<string>()).Payee;
        using var again = new TestHost(_host.DataDirectory);
        using var second = await again.AnimateAsync(TestHost.Body());
        Assert.Equal(payee, Bolt11Codec.Decode((await again.JsonAsync(second))["invoice"]!.GetValue<string>()).Payee);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_host.DataDirectory, "node.key")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_host.DataDirectory, "server.secret")));
        }
    }

    public void Dispose() => _host.Dispose();
}
