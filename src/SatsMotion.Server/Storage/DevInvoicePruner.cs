namespace SatsMotion.Server.Storage;

/// <summary>
/// Keeps the dev node's invoice table from growing without bound: anyone may ask for a 402, and each one stores
/// an invoice. Hourly, it deletes the unpaid ones a day past their expiry (until then, paying one still says
/// "expired" rather than "unknown").
/// </summary>
public sealed class DevInvoicePruner(DevInvoiceStore store, TimeProvider time, ILogger<DevInvoicePruner> logger) : BackgroundService
{
    public static readonly TimeSpan KeptAfterExpiry = TimeSpan.FromDays(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), time);
        do
        {
            await PruneAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task<int> PruneAsync(CancellationToken cancellationToken)
    {
        var deleted = await store.DeleteUnpaidExpiredAsync(time.GetUtcNow() - KeptAfterExpiry, cancellationToken);
        if (deleted > 0)
        {
            logger.LogInformation("Deleted {Count} unpaid dev invoices more than {Kept} past their expiry", deleted, KeptAfterExpiry);
        }

        return deleted;
    }
}
