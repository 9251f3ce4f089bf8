using Npgsql;
using SatsMotion.Server.Jobs;

namespace SatsMotion.Server.Storage.Postgres;

/// <summary>Sends this server's job signals to the others with NOTIFY (delivered when the transaction commits).</summary>
public sealed class PostgresJobBroadcast(PostgresDatabase database, ILogger<PostgresJobBroadcast> log) : IJobBroadcast
{
    public const string Queued = "satsmotion_job_queued";
    public const string Finished = "satsmotion_job_finished";
    public const string Pushed = "satsmotion_provider_pushed";

    public Task JobQueuedAsync(string jobId) => NotifyAsync(Queued, jobId);

    public Task JobFinishedAsync(string jobId) => NotifyAsync(Finished, jobId);

    public Task ProviderPushedAsync(string remoteJobId) => NotifyAsync(Pushed, remoteJobId);

    private async Task NotifyAsync(string channel, string jobId)
    {
        try
        {
            await using var connection = await database.OpenAsync(CancellationToken.None);
            await using var command = connection.Sql("SELECT pg_notify(@channel, @job)", ("@channel", channel), ("@job", jobId));
            await command.ExecuteNonQueryAsync();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            // The job is in the database: workers and waiting requests also poll, so a lost signal only delays.
            log.LogWarning("Could not signal {Channel} for job {JobId}: {Message}", channel, jobId, e.Message);
        }
    }
}

/// <summary>
/// Brings the other servers' signals here: one connection LISTENs on the three channels, and reconnects when it drops
/// (waking everything once, since signals may have been missed meanwhile).
/// </summary>
public sealed class PostgresJobListener(PostgresDatabase database, JobQueue queue, SatsMotion.Video.Remote.ProviderPushes pushes, ILogger<PostgresJobListener> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await database.Source.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) =>
                {
                    if (e.Channel == PostgresJobBroadcast.Queued)
                    {
                        queue.WakeWorkers();
                    }
                    else if (e.Channel == PostgresJobBroadcast.Pushed)
                    {
                        pushes.Wake(e.Payload);
                    }
                    else
                    {
                        queue.SignalFinished(e.Payload);
                    }
                };
                await using (var listen = connection.Sql($"LISTEN {PostgresJobBroadcast.Queued}; LISTEN {PostgresJobBroadcast.Finished}; LISTEN {PostgresJobBroadcast.Pushed}"))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                queue.WakeWorkers();
                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or System.IO.IOException)
            {
                log.LogWarning("Listening for job signals failed ({Message}); reconnecting", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}
