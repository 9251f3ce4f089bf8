using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Lightning;
using SatsMotion.Lightning.Connection;
using SatsMotion.Server.Tests;

namespace SatsMotion.Backends.Tests.LNbits;

/// <summary>type=lnbits against <see cref="FakeLnbitsNode"/> (LNbits' wallet API, lnbits/core/views/payment_api.py).</summary>
public sealed class LnbitsBackendTests : BackendScenarios<FakeLnbitsNode>
{
    // The pay-out scenario needs the admin key; the invoice key is what an operator should configure otherwise.
    protected override string Connection => $"type=lnbits;server={Node.Address};api-key={FakeLnbitsNode.AdminKey};network=regtest";

    protected override string Secret => FakeLnbitsNode.AdminKey;

    protected override string ConnectionWithWrongCredential => $"type=lnbits;server={Node.Address};api-key=00000000000000000000000000000000;network=regtest";

    private string InvoiceKeyConnection => $"type=lnbits;server={Node.Address};api-key={FakeLnbitsNode.InvoiceKey};network=regtest";

    [Fact]
    public async Task The_invoice_key_takes_payments_but_cannot_pay_out()
    {
        using var host = new TestHost(settings: new() { ["SatsMotion:Lightning"] = InvoiceKeyConnection });
        using var response = await host.AnimateAsync(TestHost.Body());
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);

        var failure = await Assert.ThrowsAsync<LightningBackendException>(() =>
            host.Services.GetRequiredService<ILightningBackend>().PayInvoiceAsync(FakeNode.RemoteInvoice(10), 10, CancellationToken.None));
        Assert.Equal(LightningFailure.NotPermitted, failure.Failure);
        Assert.Empty(Node.PaidOut);
    }

    [Fact]
    public async Task The_invoice_is_asked_in_sats_as_an_incoming_payment_and_settles_with_the_amount_in_msat()
    {
        using var host = new TestHost(settings: new() { ["SatsMotion:Lightning"] = InvoiceKeyConnection });
        var backend = host.Services.GetRequiredService<ILightningBackend>();
        var created = await backend.CreateInvoiceAsync(300, "unit test", TimeSpan.FromMinutes(10), CancellationToken.None);
        var request = Assert.Single(Node.CreateRequests);
        Assert.False(request["out"]!.GetValue<bool>());
        Assert.Equal(300, request["amount"]!.GetValue<long>());
        Assert.Equal(600, request["expiry"]!.GetValue<long>());
        Assert.Equal(300_000, Node.Find(Convert.ToHexStringLower(created.PaymentHash))!.AmountMsat);

        // LNbits may show the preimage of a pending invoice: it is no proof of payment.
        var open = await backend.LookupInvoiceAsync(created.PaymentHash, CancellationToken.None);
        Assert.Equal(InvoiceState.Open, open.State);
        Assert.Null(open.Preimage);

        Node.Pay(created.PaymentRequest);
        var settled = await backend.LookupInvoiceAsync(created.PaymentHash, CancellationToken.None);
        Assert.Equal(InvoiceState.Settled, settled.State);
        Assert.Equal(300_000, settled.AmountReceivedMsat);

        Assert.Equal(InvoiceState.Unknown, (await backend.LookupInvoiceAsync(new byte[32], CancellationToken.None)).State);
    }

    [Fact]
    public async Task A_payment_whose_fee_reserve_exceeds_the_limit_is_never_sent()
    {
        var backend = Host.Services.GetRequiredService<ILightningBackend>();
        var failure = await Assert.ThrowsAsync<LightningBackendException>(() =>
            backend.PayInvoiceAsync(FakeNode.RemoteInvoice(10_000), 99, CancellationToken.None)); // reserve 1% = 100 sat
        Assert.Equal(LightningFailure.PaymentFailed, failure.Failure);
        Assert.Empty(Node.PaidOut);

        var paid = await backend.PayInvoiceAsync(FakeNode.RemoteInvoice(10_000), 100, CancellationToken.None);
        Assert.Equal(1000, paid.FeePaidMsat);
    }

    [Fact]
    public void The_network_must_be_named_because_LNbits_does_not_say()
    {
        var services = new ServiceCollection();
        var error = Assert.Throws<LightningConfigurationException>(() =>
            services.AddLightningBackend($"type=lnbits;server={Node.Address};api-key={FakeLnbitsNode.InvoiceKey}"));
        Assert.Contains("'network'", error.Message);
        Assert.DoesNotContain(FakeLnbitsNode.InvoiceKey, error.Message);
    }
}
