namespace SatsMotion.Server;

/// <summary>
/// A background service that runs one housekeeping pass at start and then once per period. A failed pass (a locked
/// database, a full disk) is logged and tried again at the next one: left to escape, it would stop the server.
/// </summary>
public abstract class PeriodicHousekeeping(TimeSpan period, TimeProvider time, ILogger logger) : BackgroundService
{
    protected TimeProvider Time { get; } = time;

    protected ILogger Logger { get; } = logger;

    /// <summary>What the pass does, for the log.</summary>
    protected abstract string PassName { get; }

    protected abstract Task RunPassAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(period, Time);
        do
        {
            try
            {
                await RunPassAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Logger.LogError(e, "{Pass} failed; trying again in {Period}", PassName, period);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
