namespace SatsMotion.Server.Storage;

/// <summary>
/// Keeps the dev node's invoice table from growing without bound: anyone may ask for a 402, and each one stores
/// an invoice. Every ten minutes, it deletes the unpaid ones an hour past their expiry (until then, paying one
/// still says "expired" rather than "unknown"), so the table holds about the last 80 minutes of unpaid invoices.
/// </summary>
public sealed class DevInvoicePruner(DevInvoiceStore store, TimeProvider time, ILogger<DevInvoicePruner> logger) : BackgroundService
{
    public static readonly TimeSpan KeptAfterExpiry = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(10), time);
        do
        {
            // A failed pass (a locked database, a full disk) is logged and tried again on the next tick; left
            // unhandled, it would stop the whole server.
            try
            {
                await PruneAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Pruning dev invoices failed; trying again on the next tick");
            }
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
