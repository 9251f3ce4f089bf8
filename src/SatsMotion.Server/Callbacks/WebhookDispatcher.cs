using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SatsMotion.Server.Api;
using SatsMotion.Server.Configuration;
using SatsMotion.Server.Hardening;
using SatsMotion.Server.Jobs;
using SatsMotion.Server.Storage;

namespace SatsMotion.Server.Callbacks;

/// <summary>
/// Sends the outbox's deliveries: at least once, the same webhook-id and body on every attempt, signed anew each
/// time. A failed attempt is tried again after 10 s, 1 min, 5 min, 15 min, 30 min, 1 h, 2 h, 4 h, then every 8 h
/// (each ±20 %), until <see cref="CallbackSettings.RetryFor"/> has passed since the event; a receiver that answers
/// 410 Gone is not tried again. A few deliveries go at once, so a slow receiver holds up only its own.
/// </summary>
public sealed class WebhookDispatcher(
    WebhookOutbox outbox,
    JobStore jobs,
    Refunds refunds,
    WebhookSigning signing,
    JobQueue queue,
    [FromKeyedServices(WebhookDispatcher.ClientKey)] HttpClient http,
    IOptions<SatsMotionOptions> options,
    TimeProvider time,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    public const string ClientKey = "webhooks";

    private const int MaxResponseBytes = 4096;

    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan[] Schedule =
    [
        TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(4), TimeSpan.FromHours(8),
    ];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly string _process = $"{Environment.MachineName}/{Environment.ProcessId}/{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}/webhooks";

    private CallbackSettings Settings => options.Value.Callbacks;

    /// <summary>The wait before attempt <paramref name="failed"/> + 1, jittered so that retries of many deliveries spread out.</summary>
    public static TimeSpan RetryDelay(int failed, double jitter) => Schedule[Math.Clamp(failed - 1, 0, Schedule.Length - 1)] * (0.8 + (0.4 * jitter));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var senders = Enumerable.Range(0, Math.Max(1, Settings.Concurrency)).Select(i => SendLoopAsync($"{_process}/{i}", stoppingToken));
        await Task.WhenAll([.. senders, GaugeLoopAsync(stoppingToken)]);
    }

    private async Task SendLoopAsync(string owner, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var finished = queue.NextFinish;
            WebhookDelivery? delivery = null;
            try
            {
                delivery = await outbox.ClaimDueAsync(owner, Settings.Timeout + TimeSpan.FromSeconds(10), stoppingToken);
                if (delivery is not null)
                {
                    await AttemptAsync(delivery, owner, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The database is away: the claimed delivery comes back when its lease ends.
                logger.LogError(e, "Webhooks: {What} failed; trying again shortly", delivery is null ? "looking for deliveries" : $"delivery {delivery.Id}");
                delivery = null;
            }

            if (delivery is null)
            {
                await Task.WhenAny(finished, Task.Delay(Poll, stoppingToken));
            }
        }
    }

    private async Task AttemptAsync(WebhookDelivery delivery, string owner, CancellationToken stoppingToken)
    {
        var job = await jobs.FindAsync(delivery.JobId, stoppingToken);
        if (job is null)
        {
            await outbox.RecordFailedAsync(delivery.Id, owner, null, "the job is gone", null, Settings.RetryFor, CancellationToken.None);
            return;
        }

        if (delivery.Body is null && delivery.Event == WebhookEvents.Failed && job.Status != JobStatus.FAILED)
        {
            // Retried by its paid token before this event's first attempt: a job.failed describing a queued or running
            // job would contradict itself, and its refund offer was withdrawn. The retry's own end sends its event.
            await outbox.RecordFailedAsync(delivery.Id, owner, null, "superseded: the job was retried by its paid token", null, Settings.RetryFor, CancellationToken.None);
            SatsMotionMetrics.WebhookAttempts.WithLabels("superseded").Inc();
            logger.LogInformation("Job {JobId}: {Event} not sent, the job was retried before it went out", job.Id, delivery.Event);
            return;
        }

        var body = delivery.Body ?? await outbox.FixBodyAsync(delivery.Id, await BodyAsync(delivery, job, stoppingToken), stoppingToken);
        var (status, error) = await SendAsync(delivery, job.TokenId, body, stoppingToken);
        if (error is null)
        {
            await outbox.RecordDeliveredAsync(delivery.Id, owner, status!.Value, CancellationToken.None);
            SatsMotionMetrics.WebhookAttempts.WithLabels("delivered").Inc();
            logger.LogInformation("Job {JobId}: {Event} delivered to {Host} ({Status}, attempt {Attempt})", job.Id, delivery.Event, new Uri(delivery.Url).Host, status, delivery.Attempts);
            return;
        }

        // The delivery's age is judged by the outbox, on the database's clock that dated it.
        var gone = status == StatusCodes.Status410Gone;
        TimeSpan? retryIn = gone ? null : RetryDelay(delivery.Attempts, Random.Shared.NextDouble());
        var gaveUp = await outbox.RecordFailedAsync(delivery.Id, owner, status, error, retryIn, Settings.RetryFor, CancellationToken.None);
        SatsMotionMetrics.WebhookAttempts.WithLabels(gaveUp ? "gave_up" : status is null && error.StartsWith("refused", StringComparison.Ordinal) ? "refused" : "failed").Inc();
        logger.LogWarning("Job {JobId}: {Event} to {Host} failed (attempt {Attempt}: {Error}){Next}", job.Id, delivery.Event, new Uri(delivery.Url).Host, delivery.Attempts, error,
            !gaveUp && retryIn is { } wait ? $"; next attempt in {wait.TotalSeconds:F0} s" : gone ? "; the receiver answered 410 Gone, not tried again" : "; given up");
    }

    // {"type", "timestamp", "data": the job view (its refund offer included) and the caller's callback_id}.
    private async Task<string> BodyAsync(WebhookDelivery delivery, Job job, CancellationToken cancellationToken)
    {
        var refund = job.Status == JobStatus.FAILED ? await refunds.OfFailedJobAsync(job, cancellationToken) : null;
        var data = JobView.Describe(job, job.BaseUrl ?? options.Value.PublicBaseUrl?.TrimEnd('/') ?? "", refund);
        if (job.CallbackId is not null)
        {
            data["callback_id"] = job.CallbackId;
        }

        return JsonSerializer.Serialize(new Dictionary<string, object?> { ["type"] = delivery.Event, ["timestamp"] = delivery.CreatedAt, ["data"] = data }, Json);
    }

    /// <summary>One attempt: the status (null when no answer came) and null, or what went wrong.</summary>
    private async Task<(int? Status, string? Error)> SendAsync(WebhookDelivery delivery, string tokenId, string body, CancellationToken stoppingToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in signing.Headers(tokenId, delivery.Id, time.GetUtcNow(), body))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        request.Headers.UserAgent.ParseAdd("SatsMotion-Webhooks/1");
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        attempt.CancelAfter(Settings.Timeout);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attempt.Token);
            await DrainAsync(response, attempt.Token);
            var status = (int)response.StatusCode;
            return response.IsSuccessStatusCode ? (status, null) : (status, $"the receiver answered {status}");
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return (null, $"no answer within {Settings.Timeout.TotalSeconds:F0} s");
        }
        catch (HttpRequestException e) when (e.InnerException is CallbackRefusedException refused)
        {
            return (null, "refused: " + refused.Message);
        }
        catch (HttpRequestException e)
        {
            return (null, e.Message);
        }
    }

    // A receiver's answer is read (a little of it) so the connection can be reused, never kept.
    private static async Task DrainAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[1024];
        var read = 0;
        int chunk;
        while (read < MaxResponseBytes && (chunk = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            read += chunk;
        }
    }

    private async Task GaugeLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                SatsMotionMetrics.WebhooksPending.Set(await outbox.CountPendingAsync(stoppingToken));
                await Task.Delay(TimeSpan.FromSeconds(30), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogDebug("Webhooks: counting pending deliveries failed: {Message}", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(30), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}
