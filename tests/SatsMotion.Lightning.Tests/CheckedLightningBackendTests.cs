using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using SatsMotion.Lightning.Bolt11;

namespace SatsMotion.Lightning.Tests;

/// <summary>A node is never trusted blindly: each way an invoice or a preimage can be wrong is refused as Misbehaved.</summary>
public sealed class CheckedLightningBackendTests
{
    private sealed class LyingNode : ILightningBackend
    {
        public Func<long, string, TimeSpan, CreatedInvoice> Create { get; init; } = (sat, description, expiry) => Sign(sat * 1000, Bolt11Network.Regtest, DateTimeOffset.UtcNow, expiry, out _);

        public InvoiceStatus Status { get; init; } = new(InvoiceState.Open);

        public Bolt11Network Network { get; init; } = Bolt11Network.Regtest;

        public string Name => "lying node";

        public bool IsDevelopment => false;

        public Task<CreatedInvoice> CreateInvoiceAsync(long amountSat, string description, TimeSpan expiry, CancellationToken cancellationToken) =>
            Task.FromResult(Create(amountSat, description, expiry));

        public Task<InvoiceStatus> LookupInvoiceAsync(byte[] paymentHash, CancellationToken cancellationToken) => Task.FromResult(Status);

        public Task<NodeInfo> GetInfoAsync(CancellationToken cancellationToken) => Task.FromResult(new NodeInfo(Network, true, "lying node"));

        public Func<PaymentResult> Pay { get; init; } = () => new PaymentResult(new byte[32], 0);

        public OutgoingPayment Outgoing { get; init; } = new(PaymentState.NotFound);

        public Task<PaymentResult> PayInvoiceAsync(string paymentRequest, long? maxFeeSat, CancellationToken cancellationToken) => Task.FromResult(Pay());

        public Task<OutgoingPayment> LookupPaymentAsync(byte[] paymentHash, CancellationToken cancellationToken) => Task.FromResult(Outgoing);
    }

    private static CreatedInvoice Sign(long? amountMsat, Bolt11Network network, DateTimeOffset at, TimeSpan expiry, out byte[] preimage)
    {
        preimage = RandomNumberGenerator.GetBytes(32);
        var hash = SHA256.HashData(preimage);
        var request = Bolt11Codec.Encode(network, amountMsat, at,
            [Bolt11TaggedField.PaymentHash(hash), Bolt11TaggedField.PaymentSecret(new byte[32]), Bolt11TaggedField.Description("x"), Bolt11TaggedField.Expiry((long)expiry.TotalSeconds)],
            RandomNumberGenerator.GetBytes(32));
        return new CreatedInvoice(request, hash, at + expiry);
    }

    private static CheckedLightningBackend Checked(LyingNode node) => new(node, TimeProvider.System, NullLogger<CheckedLightningBackend>.Instance);

    private static async Task AssertMisbehavedAsync(Func<Task> call, string reason, LightningFailure failure = LightningFailure.Misbehaved)
    {
        var thrown = await Assert.ThrowsAsync<LightningBackendException>(call);
        Assert.Equal(failure, thrown.Failure);
        Assert.Contains(reason, thrown.Message);
    }

    [Fact]
    public async Task An_honest_invoice_passes_with_its_own_expiry()
    {
        var created = await Checked(new LyingNode()).CreateInvoiceAsync(500, "x", TimeSpan.FromMinutes(10), CancellationToken.None);
        Assert.Equal(500_000, Bolt11Codec.Decode(created.PaymentRequest).AmountMsat);
    }

    [Theory]
    [InlineData(500_001L)]
    [InlineData(499_000L)]
    [InlineData(null)]
    public async Task An_invoice_for_another_amount_is_refused(long? amountMsat) =>
        await AssertMisbehavedAsync(() => Checked(new LyingNode { Create = (_, _, e) => Sign(amountMsat, Bolt11Network.Regtest, DateTimeOffset.UtcNow, e, out _) })
            .CreateInvoiceAsync(500, "x", TimeSpan.FromMinutes(10), CancellationToken.None), "not the price");

    [Fact]
    public async Task A_reported_hash_that_is_not_the_invoices_is_refused() =>
        await AssertMisbehavedAsync(() => Checked(new LyingNode { Create = (s, d, e) => Sign(s * 1000, Bolt11Network.Regtest, DateTimeOffset.UtcNow, e, out _) with { PaymentHash = new byte[32] } })
            .CreateInvoiceAsync(500, "x", TimeSpan.FromMinutes(10), CancellationToken.None), "payment hash");

    [Fact]
    public async Task An_invoice_for_another_network_is_refused() =>
        await AssertMisbehavedAsync(() => Checked(new LyingNode { Create = (s, d, e) => Sign(s * 1000, Bolt11Network.Mainnet, DateTimeOffset.UtcNow, e, out _) })
            .CreateInvoiceAsync(500, "x", TimeSpan.FromMinutes(10), CancellationToken.None), "Mainnet");

    [Fact]
    public async Task An_invoice_already_expired_is_refused() =>
        await AssertMisbehavedAsync(() => Checked(new LyingNode { Create = (s, d, e) => Sign(s * 1000, Bolt11Network.Regtest, DateTimeOffset.UtcNow.AddHours(-2), e, out _) })
            .CreateInvoiceAsync(500, "x", TimeSpan.FromMinutes(10), CancellationToken.None), "expired");

    [Fact]
    public async Task A_payment_request_that_does_not_decode_is_refused() =>
        await AssertMisbehavedAsync(() => Checked(new LyingNode { Create = (_, _, _) => new CreatedInvoice("lnbcrt1garbage", new byte[32], DateTimeOffset.UtcNow) })
            .CreateInvoiceAsync(500, "x", TimeSpan.FromMinutes(10), CancellationToken.None), "does not decode");

    [Fact]
    public async Task A_settled_status_whose_preimage_does_not_hash_to_the_invoice_is_refused() =>
        await AssertMisbehavedAsync(() => Checked(new LyingNode { Status = new InvoiceStatus(InvoiceState.Settled, new byte[32], 500_000) })
            .LookupInvoiceAsync(RandomNumberGenerator.GetBytes(32), CancellationToken.None), "does not hash");

    // After a payment was handed over, an answer that fails the checks leaves its outcome open: never "failed".
    [Fact]
    public async Task A_payment_whose_preimage_does_not_match_is_refused_as_in_flight()
    {
        var invoice = Sign(1000, Bolt11Network.Regtest, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5), out _);
        await AssertMisbehavedAsync(() => Checked(new LyingNode()).PayInvoiceAsync(invoice.PaymentRequest, 1, CancellationToken.None), "does not hash", LightningFailure.PaymentInFlight);
    }

    [Fact]
    public async Task A_payment_answer_that_does_not_parse_is_in_flight_not_failed()
    {
        var invoice = Sign(1000, Bolt11Network.Regtest, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5), out _);
        await AssertMisbehavedAsync(() => Checked(new LyingNode { Pay = () => throw new FormatException("not hex") }).PayInvoiceAsync(invoice.PaymentRequest, null, CancellationToken.None),
            "malformed reply", LightningFailure.PaymentInFlight);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_payment_reported_paid_without_its_preimage_is_refused(bool wrongPreimage) =>
        await AssertMisbehavedAsync(() => Checked(new LyingNode { Outgoing = new OutgoingPayment(PaymentState.Succeeded, wrongPreimage ? new byte[32] : null) })
            .LookupPaymentAsync(RandomNumberGenerator.GetBytes(32), CancellationToken.None), "without its preimage");

    [Fact]
    public async Task A_payment_reported_paid_with_its_preimage_passes()
    {
        var preimage = RandomNumberGenerator.GetBytes(32);
        var payment = await Checked(new LyingNode { Outgoing = new OutgoingPayment(PaymentState.Succeeded, preimage, 1000) })
            .LookupPaymentAsync(SHA256.HashData(preimage), CancellationToken.None);
        Assert.Equal(PaymentState.Succeeded, payment.State);
    }

    [Fact]
    public async Task A_reply_with_the_wrong_json_types_is_misbehaviour_not_a_crash() =>
        await AssertMisbehavedAsync(() => Checked(new LyingNode { Create = (_, _, _) => throw new InvalidOperationException("expected string, got number") })
            .CreateInvoiceAsync(500, "x", TimeSpan.FromMinutes(10), CancellationToken.None), "malformed reply");
}
