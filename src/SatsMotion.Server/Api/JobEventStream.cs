using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using SatsMotion.Server.Jobs;
using SatsMotion.Server.Storage;

namespace SatsMotion.Server.Api;

/// <summary>
/// GET /api/l402/jobs/{id}/events: the job's state at once, then an event at each change (<c>status</c> when the
/// status moves, <c>progress</c> when only the progress does), each the job view as JSON, until a terminal status.
/// A finish anywhere wakes the stream at once (the finish signal crosses servers); progress is read from the store.
/// </summary>
public sealed class JobEventStream(JobStore store, Refunds refunds, JobQueue queue)
{
    public static readonly TimeSpan StoreRead = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    /// <summary>A stream is closed after this long; the client's reconnect (with Last-Event-ID) goes on from there.</summary>
    public static readonly TimeSpan MaxStream = TimeSpan.FromMinutes(30);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The id of a state: a client that reconnects with it is not sent that state again.</summary>
    public static string EventId(Job job) => $"{job.Status}.{(int)Math.Round(job.Progress * 1000)}";

    public async IAsyncEnumerable<SseItem<string>> ReadAsync(Job first, string baseUrl, string? lastEventId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var lastBeat = started;
        var (sentId, sentStatus) = (lastEventId, (JobStatus?)null);
        var job = first;
        while (true)
        {
            var id = EventId(job);
            if (id != sentId)
            {
                var refund = job.Status == JobStatus.FAILED ? await refunds.OfFailedJobAsync(job, cancellationToken) : null;
                var kind = sentStatus == job.Status ? "progress" : "status";
                yield return new SseItem<string>(JsonSerializer.Serialize(JobView.Describe(job, baseUrl, refund), Json), kind)
                {
                    EventId = id,
                    ReconnectionInterval = sentStatus is null ? TimeSpan.FromMilliseconds(JobView.PollIntervalMs) : null,
                };
                (sentId, sentStatus, lastBeat) = (id, job.Status, System.Diagnostics.Stopwatch.GetTimestamp());
            }
            else if (sentStatus is null)
            {
                // A resumed stream already has this state: its status is known all the same.
                sentStatus = job.Status;
            }

            if (job.IsFinished || System.Diagnostics.Stopwatch.GetElapsedTime(started) >= MaxStream)
            {
                yield break;
            }

            if (System.Diagnostics.Stopwatch.GetElapsedTime(lastBeat) >= Heartbeat)
            {
                // Keeps proxies from closing a quiet stream; EventSource clients ignore an event nobody listens for.
                yield return new SseItem<string>("{}", "heartbeat");
                lastBeat = System.Diagnostics.Stopwatch.GetTimestamp();
            }

            var finished = queue.WhenFinished(job.Id);
            await Task.WhenAny(finished, Task.Delay(StoreRead, cancellationToken));
            cancellationToken.ThrowIfCancellationRequested();
            job = await store.FindAsync(job.Id, cancellationToken) ?? job;
        }
    }
}
