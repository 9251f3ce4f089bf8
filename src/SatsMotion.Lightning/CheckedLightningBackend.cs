using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using SatsMotion.Lightning.Bolt11;

namespace SatsMotion.Lightning;

/// <summary>
/// Never trust a node blindly: every invoice a real backend returns is decoded (signature included) and must be
/// for exactly the price, carry the hash the node reported, be on the node's network and not yet expired; every
/// preimage it reports must hash to the invoice. Anything else is <see cref="LightningFailure.Misbehaved"/>, so a
/// caller never gets a challenge built on an invoice we did not ask for.
/// </summary>
public sealed class CheckedLightningBackend(ILightningBackend inner, TimeProvider time, ILogger<CheckedLightningBackend> log) : ILightningBackend
{
    private NodeInfo? _info;

    public string Name => inner.Name;

    public bool IsDevelopment => inner.IsDevelopment;

    public bool EnforcesFeeLimit => inner.EnforcesFeeLimit;

    /// <summary>The network learnt at the start-up self-check (or on first use).</summary>
    public async Task<NodeInfo> GetInfoAsync(CancellationToken cancellationToken) => _info = await Guard(() => inner.GetInfoAsync(cancellationToken));

    public async Task<CreatedInvoice> CreateInvoiceAsync(long amountSat, string description, TimeSpan expiry, CancellationToken cancellationToken)
    {
        var network = (_info ?? await GetInfoAsync(cancellationToken)).Network;
        var created = await Guard(() => inner.CreateInvoiceAsync(amountSat, description, expiry, cancellationToken));
        if (!Bolt11Codec.TryDecode(created.PaymentRequest, out var invoice, out var error))
        {
            throw Refuse($"the invoice does not decode: {error}");
        }

        if (invoice!.AmountMsat != amountSat * 1000)
        {
            throw Refuse($"the invoice asks {invoice.AmountMsat?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "any amount"} msat, not the price of {amountSat * 1000} msat");
        }

        if (!CryptographicOperations.FixedTimeEquals(invoice.PaymentHash, created.PaymentHash))
        {
            throw Refuse($"the invoice's payment hash {invoice.PaymentHashHex} is not the one reported, {Convert.ToHexStringLower(created.PaymentHash)}");
        }

        if (invoice.Network != network)
        {
            throw Refuse($"the invoice is for {invoice.Network}, the node is on {network}");
        }

        if (invoice.ExpiresAt <= time.GetUtcNow())
        {
            throw Refuse($"the invoice expired at {invoice.ExpiresAt:O}, before it was handed out");
        }

        return new CreatedInvoice(created.PaymentRequest, invoice.PaymentHash, invoice.ExpiresAt);
    }

    public async Task<InvoiceStatus> LookupInvoiceAsync(byte[] paymentHash, CancellationToken cancellationToken)
    {
        var status = await Guard(() => inner.LookupInvoiceAsync(paymentHash, cancellationToken));
        if (status.Preimage is not null && !CryptographicOperations.FixedTimeEquals(SHA256.HashData(status.Preimage), paymentHash))
        {
            throw Refuse($"the preimage reported for {Convert.ToHexStringLower(paymentHash)} does not hash to it");
        }

        return status;
    }

    public async Task<PaymentResult> PayInvoiceAsync(string paymentRequest, long? maxFeeSat, CancellationToken cancellationToken)
    {
        var invoice = Bolt11Codec.Decode(paymentRequest);

        // An answer we cannot read comes after the payment was handed over: it may have gone through.
        var result = await Guard(() => inner.PayInvoiceAsync(paymentRequest, maxFeeSat, cancellationToken), LightningFailure.PaymentInFlight);
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(result.Preimage), invoice.PaymentHash))
        {
            throw Refuse($"the payment of {invoice.PaymentHashHex} returned a preimage that does not hash to it", LightningFailure.PaymentInFlight);
        }

        return result;
    }

    public async Task<OutgoingPayment> LookupPaymentAsync(byte[] paymentHash, CancellationToken cancellationToken)
    {
        var payment = await Guard(() => inner.LookupPaymentAsync(paymentHash, cancellationToken));
        if (payment.State == PaymentState.Succeeded && (payment.Preimage is null || !CryptographicOperations.FixedTimeEquals(SHA256.HashData(payment.Preimage), paymentHash)))
        {
            throw Refuse($"the payment of {Convert.ToHexStringLower(paymentHash)} is reported paid without its preimage");
        }

        return payment;
    }

    // A reply with the wrong JSON types or bad base64/hex is a node we cannot trust, not a crash of ours.
    private async Task<T> Guard<T>(Func<Task<T>> call, LightningFailure failure = LightningFailure.Misbehaved)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or System.Text.Json.JsonException or KeyNotFoundException or OverflowException or ArgumentException
            or NullReferenceException)
        {
            throw Refuse($"malformed reply ({e.GetType().Name}: {e.Message})", failure);
        }
    }

    private LightningBackendException Refuse(string problem, LightningFailure failure = LightningFailure.Misbehaved)
    {
        log.LogError("{Backend} misbehaved: {Problem}", inner.Name, problem);
        return new LightningBackendException(failure, $"{inner.Name}: {problem}");
    }
}
