using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Lightning;
using SatsMotion.Lightning.Phoenixd;
using SatsMotion.Server.Tests;

namespace SatsMotion.Backends.Tests.Phoenixd;

/// <summary>type=phoenixd against <see cref="FakePhoenixdNode"/> (phoenixd v0.8.0's HTTP API, Api.kt).</summary>
public sealed class PhoenixdBackendTests : BackendScenarios<FakePhoenixdNode>
{
    protected override string Connection => $"type=phoenixd;server={Node.Address};password={FakePhoenixdNode.FullAccessPassword}";

    protected override string Secret => FakePhoenixdNode.FullAccessPassword;

    protected override string ConnectionWithWrongCredential => $"type=phoenixd;server={Node.Address};password=not-the-password";

    private string LimitedConnection => $"type=phoenixd;server={Node.Address};password={FakePhoenixdNode.LimitedAccessPassword}";

    [Fact]
    public async Task The_password_goes_in_basic_auth_with_an_empty_user_name()
    {
        using var response = await Host.AnimateAsync(TestHost.Body());
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(":" + FakePhoenixdNode.FullAccessPassword));
        Assert.NotEmpty(Node.Authorizations);
        Assert.All(Node.Authorizations, header => Assert.Equal(expected, header));
        Assert.Equal([PhoenixdBackend.ExternalId], Node.ExternalIds);
    }

    [Fact]
    public async Task The_limited_access_password_takes_payments_but_cannot_pay_out()
    {
        using var host = new TestHost(settings: new() { ["SatsMotion:Lightning"] = LimitedConnection });
        using var response = await host.AnimateAsync(TestHost.Body());
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);

        var failure = await Assert.ThrowsAsync<LightningBackendException>(() =>
            host.Services.GetRequiredService<ILightningBackend>().PayInvoiceAsync(FakeNode.RemoteInvoice(10), 10, CancellationToken.None)); // within phoenixd's fee
        Assert.Equal(LightningFailure.NotPermitted, failure.Failure);
        Assert.Empty(Node.PaidOut);
    }

    [Fact]
    public async Task The_price_is_asked_in_sats_and_a_payment_net_of_phoenixds_liquidity_fee_counts_in_full()
    {
        Node.LiquidityFeeSat = 21;
        var backend = Host.Services.GetRequiredService<ILightningBackend>();
        var created = await backend.CreateInvoiceAsync(300, "fee test", TimeSpan.FromMinutes(10), CancellationToken.None);
        var invoice = Node.Find(Convert.ToHexStringLower(created.PaymentHash))!;
        Assert.Equal(300_000, invoice.AmountMsat);

        Node.Pay(created.PaymentRequest);
        var status = await backend.LookupInvoiceAsync(created.PaymentHash, CancellationToken.None);
        Assert.Equal(InvoiceState.Settled, status.State);
        Assert.Equal(300_000, status.AmountReceivedMsat);
        Assert.Equal(invoice.Preimage, status.Preimage);
    }

    [Fact]
    public async Task An_unpaid_invoice_is_open_although_phoenixd_shows_its_preimage_and_an_unknown_hash_is_unknown()
    {
        var backend = Host.Services.GetRequiredService<ILightningBackend>();
        var created = await backend.CreateInvoiceAsync(50, "open", TimeSpan.FromMinutes(10), CancellationToken.None);
        var open = await backend.LookupInvoiceAsync(created.PaymentHash, CancellationToken.None);
        Assert.Equal(InvoiceState.Open, open.State);
        Assert.Null(open.Preimage);

        var unknown = await backend.LookupInvoiceAsync(new byte[32], CancellationToken.None);
        Assert.Equal(InvoiceState.Unknown, unknown.State);
    }

    [Fact]
    public async Task A_payment_whose_published_fee_exceeds_the_limit_is_never_sent()
    {
        var backend = Host.Services.GetRequiredService<ILightningBackend>();
        var failure = await Assert.ThrowsAsync<LightningBackendException>(() =>
            backend.PayInvoiceAsync(FakeNode.RemoteInvoice(10_000), 40, CancellationToken.None)); // 4 sat + 40 sat > 40 sat
        Assert.Equal(LightningFailure.PaymentFailed, failure.Failure);
        Assert.Empty(Node.PaidOut);

        var paid = await backend.PayInvoiceAsync(FakeNode.RemoteInvoice(10_000), 44, CancellationToken.None);
        Assert.Equal(44_000, paid.FeePaidMsat);
    }

    [Fact]
    public async Task An_invoice_paid_already_is_refused_with_a_reason_and_nothing_is_paid_again()
    {
        var backend = Host.Services.GetRequiredService<ILightningBackend>();
        var invoice = FakeNode.RemoteInvoice(100);
        await backend.PayInvoiceAsync(invoice, null, CancellationToken.None);
        var again = await Assert.ThrowsAsync<LightningBackendException>(() => backend.PayInvoiceAsync(invoice, null, CancellationToken.None));
        Assert.Equal(LightningFailure.PaymentFailed, again.Failure);
        Assert.Contains("already been paid", again.Message);
        Assert.Single(Node.PaidOut);
    }

    // lightning-kmp computes the fee in msat, rounded down (eclair.kt nodeFee: base + amount * proportional / 1_000_000,
    // integer division): the limit is compared with exactly that. The msat cases are lightning-kmp 1.12.0's own,
    // TrampolineFeesTestsCommon.kt "calculate fees"; there the remainder is dropped, not rounded.
    [Theory]
    [InlineData(250_000, 5_000)]
    [InlineData(1_000, 4_004)]
    [InlineData(1_500_000, 10_000)]
    [InlineData(3_000_000, 16_000)]
    [InlineData(1_000_000_000, 4_004_000)]
    [InlineData(0, 4_000)]
    [InlineData(1, 4_000)]
    [InlineData(1_001, 4_004)]
    [InlineData(1_000_000, 8_000)]
    [InlineData(1_000_789, 8_003)]
    [InlineData(123_456_789, 497_827)]
    public void Phoenixds_fee_is_4_sat_plus_0_4_percent(long amountMsat, long feeMsat) =>
        Assert.Equal(feeMsat, PhoenixdFees.TrampolineFeeMsat(amountMsat));
}
