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

/// <summary>What the backend knows of an invoice; the preimage and the amount received only once it is settled.</summary>
public sealed record InvoiceStatus(InvoiceState State, byte[]? Preimage = null, long AmountReceivedMsat = 0);

/// <summary>What the start-up self-check learns of the node: its chain, and whether it is ready to take payments.</summary>
public sealed record NodeInfo(Bolt11Network Network, bool Synced, string Description);

/// <summary>An outgoing payment that went through.</summary>
public sealed record PaymentResult(byte[] Preimage, long FeePaidMsat);

/// <summary>The port every Lightning node implementation sits behind (dev node, LND, Core Lightning, …).</summary>
public interface ILightningBackend
{
    /// <summary>Short name for logs and the start-up banner: type and server, never a credential.</summary>
    string Name { get; }

    /// <summary>True when no real money moves (the embedded dev node).</summary>
    bool IsDevelopment { get; }

    Task<CreatedInvoice> CreateInvoiceAsync(long amountSat, string description, TimeSpan expiry, CancellationToken cancellationToken);

    Task<InvoiceStatus> LookupInvoiceAsync(byte[] paymentHash, CancellationToken cancellationToken);

    /// <summary>A getinfo-style call: proves the server is reachable, the credential works, and tells the network.</summary>
    Task<NodeInfo> GetInfoAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Pays an invoice, never above <paramref name="maxFeeSat"/> in routing fees (for refunds). A backend whose
    /// credential cannot pay throws <see cref="LightningBackendException"/> with <see cref="LightningFailure.NotPermitted"/>.
    /// </summary>
    Task<PaymentResult> PayInvoiceAsync(string paymentRequest, long maxFeeSat, CancellationToken cancellationToken);
}
