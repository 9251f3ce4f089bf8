using SatsMotion.Server.Storage;

namespace SatsMotion.Server.Jobs;

/// <summary>
/// Holds a request until its job finishes or the wait runs out (Prefer: wait). The finish signal answers at once;
/// the store is read again every few seconds as well, so a signal lost between servers costs at most that delay.
/// </summary>
public sealed class JobWaiter(JobStore store, JobQueue queue)
{
    public static readonly TimeSpan Recheck = TimeSpan.FromSeconds(2);

    public async Task<Job> WaitAsync(string jobId, TimeSpan wait, CancellationToken cancellationToken)
    {
        // Real time, whatever clock the store uses: this is how long a caller is kept waiting.
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            var finished = queue.WhenFinished(jobId);
            var job = await store.FindAsync(jobId, cancellationToken) ?? throw new InvalidOperationException($"job {jobId} vanished");
            var left = wait - System.Diagnostics.Stopwatch.GetElapsedTime(started);
            if (job.IsFinished || left <= TimeSpan.Zero)
            {
                return job;
            }

            await Task.WhenAny(finished, Task.Delay(left < Recheck ? left : Recheck, cancellationToken));
            cancellationToken.ThrowIfCancellationRequested();
        }
    }
}
