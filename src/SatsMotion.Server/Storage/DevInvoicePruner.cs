namespace SatsMotion.Server.Storage;

/// <summary>
/// Keeps the dev node's invoice table from growing without bound: anyone may ask for a 402, and each one stores
/// an invoice. Every ten minutes, it deletes the unpaid ones an hour past their expiry (until then, paying one
/// still says "expired" rather than "unknown"), so the table holds about the last 80 minutes of unpaid invoices.
/// </summary>
public sealed class DevInvoicePruner(DevInvoiceStore store, TimeProvider time, ILogger<DevInvoicePruner> logger) : PeriodicHousekeeping(TimeSpan.FromMinutes(10), time, logger)
{
    public static readonly TimeSpan KeptAfterExpiry = TimeSpan.FromHours(1);

    protected override string PassName => "Pruning dev invoices";

    protected override Task RunPassAsync(CancellationToken cancellationToken) => PruneAsync(cancellationToken);

    public async Task<int> PruneAsync(CancellationToken cancellationToken)
    {
        var deleted = await store.DeleteUnpaidExpiredAsync(Time.GetUtcNow() - KeptAfterExpiry, cancellationToken);
        if (deleted > 0)
        {
            Logger.LogInformation("Deleted {Count} unpaid dev invoices more than {Kept} past their expiry", deleted, KeptAfterExpiry);
        }

        return deleted;
    }
}
