namespace SatsMotion.Lightning.DevNode;

/// <summary>An invoice the dev node issued, with the preimage it holds as payee.</summary>
public sealed record DevInvoice(byte[] PaymentHash, string PaymentRequest, byte[] Preimage, long AmountMsat, DateTimeOffset ExpiresAt, DateTimeOffset? SettledAt);

/// <summary>Where the dev node keeps its invoices (the server's database).</summary>
public interface IDevInvoiceStore
{
    Task AddAsync(DevInvoice invoice, CancellationToken cancellationToken);

    Task<DevInvoice?> FindAsync(byte[] paymentHash, CancellationToken cancellationToken);

    /// <summary>Marks the invoice settled at <paramref name="at"/> unless it already is; returns the stored invoice.</summary>
    Task<DevInvoice?> SettleAsync(byte[] paymentHash, DateTimeOffset at, CancellationToken cancellationToken);
}
