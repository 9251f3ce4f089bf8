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

/// <summary>What the backend knows of an invoice; the preimage only once it is settled.</summary>
public sealed record InvoiceStatus(InvoiceState State, byte[]? Preimage = null);

/// <summary>The port every Lightning node implementation sits behind (dev node, LND, Core Lightning, …).</summary>
public interface ILightningBackend
{
    /// <summary>Short name for logs and the start-up banner, e.g. "dev (embedded, regtest)".</summary>
    string Name { get; }

    /// <summary>True when no real money moves (the embedded dev node).</summary>
    bool IsDevelopment { get; }

    Task<CreatedInvoice> CreateInvoiceAsync(long amountSat, string description, TimeSpan expiry, CancellationToken cancellationToken);

    Task<InvoiceStatus> LookupInvoiceAsync(byte[] paymentHash, CancellationToken cancellationToken);
}
