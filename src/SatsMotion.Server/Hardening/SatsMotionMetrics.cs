using Prometheus;

namespace SatsMotion.Server.Hardening;

/// <summary>What an operator alerts on, exported at /metrics in Prometheus' format (prometheus-net).</summary>
public static class SatsMotionMetrics
{
    public static readonly Counter ChallengesIssued = Metrics.CreateCounter("satsmotion_challenges_issued_total", "Challenges issued in 402s, by model and scheme (one invoice per 402, one challenge per scheme)", "model", "scheme");

    public static readonly Counter InvoicesSettled = Metrics.CreateCounter("satsmotion_invoices_settled_total", "Paid tokens redeemed for the first time (their invoice settled)", "model");

    public static readonly Counter SatsEarned = Metrics.CreateCounter("satsmotion_sats_earned_total", "Sats of the invoices behind new paid jobs", "model");

    public static readonly Counter Redemptions = Metrics.CreateCounter("satsmotion_redemptions_total", "Credentials presented, by outcome (new_job, replay, retry, or the refusal's error code) and scheme", "outcome", "scheme");

    public static readonly Counter JobsFinished = Metrics.CreateCounter("satsmotion_jobs_finished_total", "Jobs that ended, by state and model", "state", "model");

    public static readonly Gauge JobsRunning = Metrics.CreateGauge("satsmotion_jobs_running", "Jobs being made right now", "model");

    public static readonly Histogram JobDuration = Metrics.CreateHistogram("satsmotion_job_duration_seconds", "Time to make one video, per model", new HistogramConfiguration
    {
        LabelNames = ["model"],
        Buckets = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200],
    });

    public static readonly Counter BackendErrors = Metrics.CreateCounter("satsmotion_backend_errors_total", "Failures of the Lightning node or a video provider, by backend and kind", "backend", "kind");

    public static readonly Counter RateLimited = Metrics.CreateCounter("satsmotion_rate_limited_total", "Requests refused with 429, by limit", "limit");

    public static readonly Counter RefundsPaid = Metrics.CreateCounter("satsmotion_refunds_claimed_total", "Refunds claimed (paid, or recorded with the dev node)");

    public static readonly Counter RefundsReconciled = Metrics.CreateCounter("satsmotion_refunds_reconciled_total",
        "Refund pay-outs of unknown outcome resolved by asking the node or by the operator in the console, by the outcome (claimed, released)", "outcome");

    public static readonly Counter WebhookAttempts = Metrics.CreateCounter("satsmotion_webhook_attempts_total",
        "Webhook delivery attempts, by outcome (delivered, failed: to be retried, gave_up, refused: the target is not allowed, superseded: a failure retried before it went out)", "outcome");

    public static readonly Gauge WebhooksPending = Metrics.CreateGauge("satsmotion_webhooks_pending", "Webhook deliveries not yet delivered nor given up, at the last check");

    public static readonly Gauge RefundsUnresolved = Metrics.CreateGauge("satsmotion_refund_payouts_unresolved",
        "Refund pay-outs whose outcome the node could not tell yet at the last check (in flight, or the node away)");
}
