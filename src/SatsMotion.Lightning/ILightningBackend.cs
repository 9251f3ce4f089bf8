using SatsMotion.Lightning.Bolt11;

namespace SatsMotion.Lightning;

public enum InvoiceState
{
    Open,
    Settled,
    Expired,
    Unknown,
}

/// <summary>A fresh invoice: what the caller pays and the hash the token is bound to.</summary>
public sealed record CreatedInvoice(string PaymentRequest, byte[] PaymentHash, DateTimeOffset ExpiresAt);

/// <summary>
/// What the backend knows of an invoice; the preimage and the amount received only once it is settled. A null amount
/// is a backend that did not say (the invoice's own amount then stands: it cannot be settled for less).
/// </summary>
public sealed record InvoiceStatus(InvoiceState State, byte[]? Preimage = null, long? AmountReceivedMsat = 0);

/// <summary>What the start-up self-check learns of the node: its chain, and whether it is ready to take payments.</summary>
public sealed record NodeInfo(Bolt11Network Network, bool Synced, string Description);

/// <summary>An outgoing payment that went through.</summary>
public sealed record PaymentResult(byte[] Preimage, long FeePaidMsat);

public enum PaymentState
{
    /// <summary>The node has no outgoing payment for this hash: it was never started (or the node forgot it).</summary>
    NotFound,

    /// <summary>Started and not final: HTLCs may still settle.</summary>
    InFlight,

    /// <summary>Paid: the preimage is known.</summary>
    Succeeded,

    /// <summary>Final, and nothing was paid.</summary>
    Failed,

    /// <summary>
    /// The node's answer fits a payment it never made as well as one it does not show (NIP-47's NOT_FOUND): releasing
    /// the claim on it could pay twice, so it is left as it is until a later answer, or the operator, tells.
    /// </summary>
    Unknown,
}

/// <summary>What the node knows of an outgoing payment, looked up by its payment hash; the preimage only once it succeeded.</summary>
public sealed record OutgoingPayment(PaymentState State, byte[]? Preimage = null, long FeePaidMsat = 0);

/// <summary>The port every Lightning node implementation sits behind (dev node, LND, Core Lightning, …).</summary>
public interface ILightningBackend
{
    /// <summary>Short name for logs and the start-up banner: type and server, never a credential.</summary>
    string Name { get; }

    /// <summary>True when no real money moves (the embedded dev node).</summary>
    bool IsDevelopment { get; }

    /// <summary>False when <see cref="PayInvoiceAsync"/> cannot pass a fee limit on (NWC: the wallet's own policy decides).</summary>
    bool EnforcesFeeLimit => true;

    Task<CreatedInvoice> CreateInvoiceAsync(long amountSat, string description, TimeSpan expiry, CancellationToken cancellationToken);

    Task<InvoiceStatus> LookupInvoiceAsync(byte[] paymentHash, CancellationToken cancellationToken);

    /// <summary>A getinfo-style call: proves the server is reachable, the credential works, and tells the network.</summary>
    Task<NodeInfo> GetInfoAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Pays an invoice (for refunds), never above <paramref name="maxFeeSat"/> in fees, or within the backend's own fee
    /// rule when it is null. A backend whose credential cannot pay throws <see cref="LightningBackendException"/> with
    /// <see cref="LightningFailure.NotPermitted"/>; a payment whose outcome the call could not learn throws it with
    /// <see cref="LightningFailure.PaymentInFlight"/> (ask <see cref="LookupPaymentAsync"/> later).
    /// </summary>
    Task<PaymentResult> PayInvoiceAsync(string paymentRequest, long? maxFeeSat, CancellationToken cancellationToken);

    /// <summary>Where our outgoing payment of <paramref name="paymentHash"/> stands: how a pay-out whose call was cut short ends.</summary>
    Task<OutgoingPayment> LookupPaymentAsync(byte[] paymentHash, CancellationToken cancellationToken);
}
