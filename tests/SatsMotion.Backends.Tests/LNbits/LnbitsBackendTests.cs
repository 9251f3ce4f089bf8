using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Lightning;
using SatsMotion.Lightning.Connection;
using SatsMotion.Server.Tests;

namespace SatsMotion.Backends.Tests.LNbits;

/// <summary>type=lnbits against <see cref="FakeLnbitsNode"/> (LNbits' wallet API as lnbits v1.5.2-rc3 serves it).</summary>
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

    [Fact]
    public async Task A_second_payment_of_an_invoice_paid_already_is_that_payment_not_a_failure()
    {
        // services/payments.py _verify_external_payment: 520 "Payment already paid." with status "success". Read as a
        // failure, it would release the refund claim and pay the refund again with another invoice.
        var backend = Host.Services.GetRequiredService<ILightningBackend>();
        var invoice = FakeNode.RemoteInvoice(100);
        var first = await backend.PayInvoiceAsync(invoice, null, CancellationToken.None);
        var again = await backend.PayInvoiceAsync(invoice, null, CancellationToken.None);
        Assert.Equal(first.Preimage, again.Preimage);
        Assert.Contains(Node.Exchanges, e => e.Status == 520 && e.Response.Contains("\"success\""));
        Assert.Single(Node.PaidOut);
    }

    [Fact]
    public async Task A_payment_still_pending_after_the_wallets_wait_and_ours_is_in_flight_not_failed()
    {
        Node.PaymentWait = TimeSpan.FromMilliseconds(200);
        Node.HoldPayouts = true;
        var failure = await Assert.ThrowsAsync<LightningBackendException>(() =>
            Host.Services.GetRequiredService<ILightningBackend>().PayInvoiceAsync(FakeNode.RemoteInvoice(100), null, CancellationToken.None));
        Assert.Equal(LightningFailure.PaymentInFlight, failure.Failure);
        Node.ReleasePayouts();
    }

    [Fact]
    public async Task A_lookup_answered_without_details_is_read_from_the_rest_of_the_answer()
    {
        // api_payment adds "details" only when the key's wallet is the payment's own (a shared wallet's key is not).
        Node.OmitDetails = true;
        var backend = Host.Services.GetRequiredService<ILightningBackend>();
        var created = await backend.CreateInvoiceAsync(300, "shared wallet", TimeSpan.FromMinutes(10), CancellationToken.None);
        Assert.Equal(InvoiceState.Open, (await backend.LookupInvoiceAsync(created.PaymentHash, CancellationToken.None)).State);
        Node.Pay(created.PaymentRequest);
        var settled = await backend.LookupInvoiceAsync(created.PaymentHash, CancellationToken.None);
        Assert.Equal(InvoiceState.Settled, settled.State);
        Assert.Null(settled.AmountReceivedMsat);
    }
}
