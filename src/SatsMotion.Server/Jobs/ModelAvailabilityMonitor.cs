using SatsMotion.Video.Models;

namespace SatsMotion.Server.Jobs;

/// <summary>
/// Asks every model every minute (the first time before the server listens) whether it can take work (a remote back-end reachable, its key
/// accepted), so the models list says so and a request for a model that cannot deliver is refused before any invoice.
/// </summary>
public sealed class ModelAvailabilityMonitor(ModelCatalog catalog, ILogger<ModelAvailabilityMonitor> log) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var before = catalog.All.ToDictionary(m => m.Descriptor.Slug, catalog.AvailabilityOf);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            try
            {
                await catalog.CheckAvailabilityAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
            }

            foreach (var model in catalog.All)
            {
                var now = catalog.AvailabilityOf(model);
                if (now.Available != before[model.Descriptor.Slug].Available || (!now.Available && now.Reason != before[model.Descriptor.Slug].Reason))
                {
                    log.Log(now.Available ? LogLevel.Information : LogLevel.Warning, "Model {Model} is {State}{Reason}", model.Descriptor.Slug,
                        now.Available ? "available" : "unavailable", now.Reason is null ? "" : $": {now.Reason}");
                }
            }
        }
    }
}
