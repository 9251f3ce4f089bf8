using System.Collections.Concurrent;
using System.Threading.Channels;

namespace SatsMotion.Server.Jobs;

/// <summary>
/// Job ids waiting for a worker, and the signals that wake requests waiting for a job to finish. Durable state
/// is in the store; this is only the in-process hand-off.
/// </summary>
public sealed class JobQueue
{
    private readonly Channel<string> _pending = Channel.CreateUnbounded<string>();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _finished = new();

    public ChannelReader<string> Pending => _pending.Reader;

    public void Enqueue(string jobId) => _pending.Writer.TryWrite(jobId);

    /// <summary>
    /// A task that completes when the job next finishes (or fails). Register before reading the job's status,
    /// so a finish between the read and the wait is not missed.
    /// </summary>
    public Task WhenFinished(string jobId) =>
        _finished.GetOrAdd(jobId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void SignalFinished(string jobId)
    {
        if (_finished.TryRemove(jobId, out var waiters))
        {
            waiters.TrySetResult();
        }
    }
}
