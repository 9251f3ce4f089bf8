using SatsMotion.Video.Models;

namespace SatsMotion.Server.Jobs;

/// <summary>
/// Asks every model every minute (the first time before the server listens) whether it can take work (a remote back-end reachable, its key
/// accepted, its input fitting the provider's schema), so the models list says so and a request for a model that cannot deliver is refused
/// before any invoice. What changed is logged: a model becoming unavailable (and why) or available again, and, once when it starts, a
/// model whose input cannot be checked because the provider's schema cannot be read.
/// </summary>
public sealed class ModelAvailabilityMonitor(ModelCatalog catalog, ILogger<ModelAvailabilityMonitor> log) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            try
            {
                await CheckAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
            }
        }
    }

    /// <summary>One check of every model (at start, then on each tick), logging what changed since the last.</summary>
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        // Before the first check every model counts as available and checked: a model that is not is logged at start.
        var before = catalog.All.ToDictionary(m => m.Descriptor.Slug, catalog.AvailabilityOf);
        await catalog.CheckAvailabilityAsync(cancellationToken);
        foreach (var model in catalog.All)
        {
            var now = catalog.AvailabilityOf(model);
            var was = before[model.Descriptor.Slug];
            if (now.Available != was.Available || (!now.Available && now.Reason != was.Reason))
            {
                log.Log(now.Available ? LogLevel.Information : LogLevel.Warning, "Model {Model} is {State}{Reason}", model.Descriptor.Slug,
                    now.Available ? "available" : "unavailable", now.Reason is null ? "" : $": {now.Reason}");
            }
            else if (now.Available && !now.InputChecked && was.InputChecked)
            {
                // Once, when it starts: every later check would say the same until the schema can be read again.
                log.LogWarning("Model {Model} takes work, its {Reason}", model.Descriptor.Slug, now.Reason);
            }
        }
    }
}
