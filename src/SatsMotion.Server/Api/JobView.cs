using SatsMotion.Server.Jobs;
using SatsMotion.Server.Storage;

namespace SatsMotion.Server.Api;

/// <summary>The JSON shapes of a job, shared by the redeem response and the job endpoints.</summary>
public static class JobView
{
    public const int PollIntervalMs = 2000;

    public static string BaseUrl(HttpRequest request, string? configured) =>
        (configured ?? $"{request.Scheme}://{request.Host}{request.PathBase}").TrimEnd('/');

    /// <summary>A refund's state as callers read it: a payment in flight is already claimed.</summary>
    public static string RefundState(RefundStatus status) => status == RefundStatus.Claiming ? "claimed" : status.ToString().ToLowerInvariant();

    public static Dictionary<string, object?> Describe(Job job, string baseUrl, Refund? refund = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["jobId"] = job.Id,
            ["requestId"] = job.Id,
            ["status"] = job.Status.ToString(),
            ["progress"] = Math.Round(job.Progress, 3),
            ["model"] = job.Model,
            ["duration"] = job.DurationSeconds,
            ["price_sats"] = job.PriceSats,
            ["created_at"] = job.CreatedAt,
            ["updated_at"] = job.UpdatedAt,
            ["poll_url"] = $"{baseUrl}/api/l402/jobs/{job.Id}",
        };
        if (job.HasVideo)
        {
            body["videoUrl"] = $"{baseUrl}/videos/{job.VideoName}.mp4";
            body["posterUrl"] = $"{baseUrl}/videos/{job.VideoName}.jpg";
            body["width"] = job.Width;
            body["height"] = job.Height;
            body["completed_at"] = job.CompletedAt;
        }

        if (job.Status == JobStatus.COMPLETED && job.ExpiredAt is not null)
        {
            body["expired_at"] = job.ExpiredAt;
            body["error"] = "the video was deleted after the retention period";
        }

        if (job.Status == JobStatus.FAILED)
        {
            body["error"] = job.Error;
            body["reason_code"] = job.ErrorCode;
            body["hint"] = refund is { Status: RefundStatus.Available }
                ? "claim the refund with an LNURL-withdraw wallet, or redeem the same request with the same Authorization header to retry at no charge (which withdraws the refund)"
                : refund is { Status: RefundStatus.Claimed or RefundStatus.Claiming }
                    ? "this job was refunded; its token can no longer retry it"
                    : "redeem the same request with the same Authorization header to retry; you will not be charged again";
            if (refund is not null && refund.Status != RefundStatus.Withdrawn)
            {
                body["refund"] = new Dictionary<string, object?>
                {
                    ["status"] = RefundState(refund.Status),
                    ["amount_sats"] = refund.AmountMsat / 1000,
                    ["lnurl"] = refund.Status == RefundStatus.Available ? LnurlWithdrawEndpoints.Link(baseUrl, refund.K1) : null,
                    ["expires_at"] = refund.ExpiresAt,
                };
            }
        }
        else if (!job.IsFinished)
        {
            body["poll_interval_ms"] = PollIntervalMs;
            body["events_url"] = $"{baseUrl}/api/l402/jobs/{job.Id}/events";
        }

        return body;
    }
}
