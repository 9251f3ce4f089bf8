using System.Collections.Concurrent;

namespace SatsMotion.Server.Jobs;

/// <summary>Tells the other servers on a shared database that a job was queued or finished.</summary>
public interface IJobBroadcast
{
    Task JobQueuedAsync(string jobId);

    Task JobFinishedAsync(string jobId);

    /// <summary>A provider pushed that its job ended: the server waiting on it looks now.</summary>
    Task ProviderPushedAsync(string remoteJobId);
}

/// <summary>
/// The signals between requests and workers: "work was queued" wakes idle workers, "job finished" wakes requests
/// waiting for it. Durable state is in the store; with a shared database the broadcast carries both signals to
/// the other servers (and brings theirs here through <see cref="WakeWorkers"/> and <see cref="SignalFinished"/>).
/// </summary>
public sealed class JobQueue(IJobBroadcast? broadcast = null)
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _finished = new();
    private TaskCompletionSource _work = NewSignal();
    private TaskCompletionSource _anyFinished = NewSignal();

    /// <summary>Completes at the next wake-up. Take it before looking for work, so a job queued meanwhile is not missed.</summary>
    public Task NextWake => Volatile.Read(ref _work).Task;

    /// <summary>Completes when any job next finishes, on any server (what the webhook sender waits for).</summary>
    public Task NextFinish => Volatile.Read(ref _anyFinished).Task;

    public async Task EnqueueAsync(string jobId)
    {
        WakeWorkers();
        if (broadcast is not null)
        {
            await broadcast.JobQueuedAsync(jobId);
        }
    }

    public void WakeWorkers() => Interlocked.Exchange(ref _work, NewSignal()).TrySetResult();

    /// <summary>
    /// A task that completes when the job next finishes (or fails) on any server. Register before reading the
    /// job's status, so a finish between the read and the wait is not missed.
    /// </summary>
    public Task WhenFinished(string jobId) => _finished.GetOrAdd(jobId, _ => NewSignal()).Task;

    public async Task FinishedAsync(string jobId)
    {
        SignalFinished(jobId);
        if (broadcast is not null)
        {
            await broadcast.JobFinishedAsync(jobId);
        }
    }

    public void SignalFinished(string jobId)
    {
        Interlocked.Exchange(ref _anyFinished, NewSignal()).TrySetResult();
        if (_finished.TryRemove(jobId, out var waiters))
        {
            waiters.TrySetResult();
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
