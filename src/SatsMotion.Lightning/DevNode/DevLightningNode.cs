using System.Security.Cryptography;
using SatsMotion.Lightning.Bolt11;

namespace SatsMotion.Lightning.DevNode;

public enum DevPaymentFailure
{
    Malformed,
    Unknown,
    Expired,
}

/// <summary>Why the dev node refused to pay an invoice; the message is safe to show.</summary>
public sealed class DevPaymentException(DevPaymentFailure failure, string message) : Exception(message)
{
    public DevPaymentFailure Failure { get; } = failure;
}

/// <summary>
/// An in-process Lightning "node" for trying SatsMotion with no set-up: it signs real regtest BOLT11 invoices
/// with its own secp256k1 key and settles one only when told to pay it. No real money moves.
/// </summary>
public sealed class DevLightningNode(byte[] nodeKey, IDevInvoiceStore store, TimeProvider time) : ILightningBackend
{
    // var_onion_optin and payment_secret, required: what every current wallet expects to see.
    private static readonly int[] Features = [8, 14];

    public byte[] PublicKey { get; } = Secp256k1.PublicKey(nodeKey);

    public string Name => "dev (embedded regtest node, no real money)";

    public bool IsDevelopment => true;

    public async Task<CreatedInvoice> CreateInvoiceAsync(long amountSat, string description, TimeSpan expiry, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(amountSat);
        var preimage = RandomNumberGenerator.GetBytes(32);
        var paymentHash = SHA256.HashData(preimage);
        var now = DateTimeOffset.FromUnixTimeSeconds(time.GetUtcNow().ToUnixTimeSeconds());
        var paymentRequest = Bolt11Codec.Encode(Bolt11Network.Regtest, amountSat * 1000, now,
        [
            Bolt11TaggedField.PaymentHash(paymentHash),
            Bolt11TaggedField.PaymentSecret(RandomNumberGenerator.GetBytes(32)),
            Bolt11TaggedField.Description(description),
            Bolt11TaggedField.Expiry((long)expiry.TotalSeconds),
            Bolt11TaggedField.Features(Features),
        ], nodeKey);
        var expiresAt = now + expiry;
        await store.AddAsync(new DevInvoice(paymentHash, paymentRequest, preimage, amountSat * 1000, expiresAt, null), cancellationToken);
        return new CreatedInvoice(paymentRequest, paymentHash, expiresAt);
    }

    public async Task<InvoiceStatus> LookupInvoiceAsync(byte[] paymentHash, CancellationToken cancellationToken)
    {
        var invoice = await store.FindAsync(paymentHash, cancellationToken);
        return invoice switch
        {
            null => new InvoiceStatus(InvoiceState.Unknown),
            { SettledAt: not null } => new InvoiceStatus(InvoiceState.Settled, invoice.Preimage, invoice.AmountMsat),
            _ when time.GetUtcNow() >= invoice.ExpiresAt => new InvoiceStatus(InvoiceState.Expired),
            _ => new InvoiceStatus(InvoiceState.Open),
        };
    }

    public Task<NodeInfo> GetInfoAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new NodeInfo(Bolt11Network.Regtest, true, $"embedded dev node {Convert.ToHexStringLower(PublicKey)}"));

    public Task<PaymentResult> PayInvoiceAsync(string paymentRequest, long? maxFeeSat, CancellationToken cancellationToken) =>
        throw new LightningBackendException(LightningFailure.NotPermitted, "the dev node pays nobody: no real money moves");

    public Task<OutgoingPayment> LookupPaymentAsync(byte[] paymentHash, CancellationToken cancellationToken) => Task.FromResult(new OutgoingPayment(PaymentState.NotFound));

    /// <summary>
    /// Pays one of our own invoices: checks it is ours, unaltered and unexpired, settles it, returns the preimage.
    /// Paying a settled invoice again returns the same preimage (as a wallet retrying would see).
    /// </summary>
    public async Task<byte[]> PayAsync(string paymentRequest, CancellationToken cancellationToken)
    {
        if (!Bolt11Codec.TryDecode(paymentRequest, out var decoded, out var error))
        {
            throw new DevPaymentException(DevPaymentFailure.Malformed, $"invoice is malformed: {error}");
        }

        if (!decoded!.Payee.AsSpan().SequenceEqual(PublicKey))
        {
            throw new DevPaymentException(DevPaymentFailure.Unknown, "invoice was not issued by this dev node");
        }

        var stored = await store.FindAsync(decoded.PaymentHash, cancellationToken) ?? throw new DevPaymentException(DevPaymentFailure.Unknown, "invoice is unknown to this dev node");
        if (stored.SettledAt is null && time.GetUtcNow() >= stored.ExpiresAt)
        {
            throw new DevPaymentException(DevPaymentFailure.Expired, $"invoice expired at {stored.ExpiresAt:O}");
        }

        var settled = await store.SettleAsync(decoded.PaymentHash, time.GetUtcNow(), cancellationToken) ?? throw new DevPaymentException(DevPaymentFailure.Unknown, "invoice is unknown to this dev node");
        return settled.Preimage;
    }
}
