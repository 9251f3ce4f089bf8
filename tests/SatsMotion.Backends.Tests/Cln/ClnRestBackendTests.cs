using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Lightning;
using SatsMotion.Server.Tests;

namespace SatsMotion.Backends.Tests.Cln;

/// <summary>type=clnrest against <see cref="FakeClnNode"/> (Core Lightning v26.06's clnrest, xpay and its JSON-RPC schemas).</summary>
public sealed class ClnRestBackendTests : BackendScenarios<FakeClnNode>
{
    protected override string Connection => $"type=clnrest;server={Node.Address};rune={FakeClnNode.AdminRune};certthumbprint={Node.CertificateThumbprint}";

    protected override string Secret => FakeClnNode.AdminRune;

    protected override string ConnectionWithWrongCredential => $"type=clnrest;server={Node.Address};rune=bm90LW91ci1ydW5l;certthumbprint={Node.CertificateThumbprint}";

    [Fact]
    public async Task A_rune_restricted_to_invoices_takes_payments_but_cannot_pay_out()
    {
        using var host = new TestHost(settings: new() { ["SatsMotion:Lightning"] = $"type=clnrest;server={Node.Address};rune={FakeClnNode.ReceiveRune};allowinsecure=true" });
        using var response = await host.AnimateAsync(TestHost.Body());
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        var failure = await Assert.ThrowsAsync<LightningBackendException>(() =>
            host.Services.GetRequiredService<ILightningBackend>().PayInvoiceAsync(FakeNode.RemoteInvoice(10), 1, CancellationToken.None));
        Assert.Equal(LightningFailure.NotPermitted, failure.Failure);
        Assert.Empty(Node.PaidOut);
    }

    [Fact]
    public async Task Every_invoice_gets_its_own_label_and_pay_outs_carry_the_fee_limit_in_msat()
    {
        for (var i = 0; i < 3; i++)
        {
            using var response = await Host.AnimateAsync(TestHost.Body($"zoom {i}"));
            Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        }

        var result = await Host.Services.GetRequiredService<ILightningBackend>().PayInvoiceAsync(FakeNode.RemoteInvoice(100), 4, CancellationToken.None);
        Assert.Equal(1000, result.FeePaidMsat);
        Assert.Equal([4000L], Node.MaxFees);
    }

    [Fact]
    public async Task A_pay_out_without_a_route_is_a_payment_failure()
    {
        var failure = await Assert.ThrowsAsync<LightningBackendException>(() => Host.Services.GetRequiredService<ILightningBackend>().PayInvoiceAsync(
            SatsMotion.Lightning.Bolt11.Bolt11Codec.Encode(SatsMotion.Lightning.Bolt11.Bolt11Network.Regtest, 5000, DateTimeOffset.UtcNow,
                [SatsMotion.Lightning.Bolt11.Bolt11TaggedField.PaymentHash(new byte[32]), SatsMotion.Lightning.Bolt11.Bolt11TaggedField.PaymentSecret(new byte[32]),
                 SatsMotion.Lightning.Bolt11.Bolt11TaggedField.Description("nowhere")], System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)), 4, CancellationToken.None));
        Assert.Equal(LightningFailure.PaymentFailed, failure.Failure);
        Assert.Contains("205", failure.Message);
    }

    [Fact]
    public async Task Without_a_fee_limit_of_the_operators_the_common_rule_is_sent_whichever_plugin_serves_pay()
    {
        // 1 % of 1,500 sat: what xpay would allow, where legacy pay's default (0.5 %) would allow 7.5 sat.
        await Host.Services.GetRequiredService<ILightningBackend>().PayInvoiceAsync(FakeNode.RemoteInvoice(1500), null, CancellationToken.None);
        Assert.Equal([15_000L], Node.MaxFees);
    }

    [Fact]
    public async Task A_pay_refused_as_in_progress_is_in_flight_as_the_node_records_it_never_a_failure()
    {
        // xpay answers a second pay of a hash still in flight with -3 "Unexpected injectpaymentonion error 200": read
        // as a failure, the claim would be released and paid again with another invoice.
        var backend = Host.Services.GetRequiredService<ILightningBackend>();
        var invoice = FakeNode.RemoteInvoice(100);
        Node.HoldPayouts = true;
        var first = Task.Run(() => backend.PayInvoiceAsync(invoice, null, CancellationToken.None));
        while (Node.FindOutgoing(SatsMotion.Lightning.Bolt11.Bolt11Codec.Decode(invoice).PaymentHashHex) is null)
        {
            await Task.Delay(20);
        }

        var second = await Assert.ThrowsAsync<LightningBackendException>(() => backend.PayInvoiceAsync(invoice, null, CancellationToken.None));
        Assert.Equal(LightningFailure.PaymentInFlight, second.Failure);
        Assert.Contains("-3", second.Message);
        Node.ReleasePayouts();
        await first;

        // Once paid, paying it again returns that payment.
        var third = await backend.PayInvoiceAsync(invoice, null, CancellationToken.None);
        Assert.Equal((await first).Preimage, third.Preimage);
        Assert.Single(Node.PaidOut);
    }

    [Fact]
    public async Task Every_request_and_answer_fits_Core_Lightnings_published_schemas()
    {
        await ExerciseEveryCallAsync();
        using (var host = new TestHost(settings: new() { ["SatsMotion:Lightning"] = $"type=clnrest;server={Node.Address};rune={FakeClnNode.ReceiveRune};allowinsecure=true" }))
        {
            await Assert.ThrowsAsync<LightningBackendException>(() => host.Services.GetRequiredService<ILightningBackend>().PayInvoiceAsync(FakeNode.RemoteInvoice(10), null, CancellationToken.None));
        }

        var definition = new Definitions.ClnDefinition();
        Assert.Contains(Node.Exchanges, e => e.Status == 401);
        Assert.True(!Node.Exchanges.SelectMany(definition.Problems).Any(), string.Join("\n", Node.Exchanges.SelectMany(definition.Problems)));
    }
}
