using SatsMotion.Server.Jobs;

namespace SatsMotion.Server.Api;

/// <summary>The JSON shapes of a job, shared by the redeem response and the job endpoints.</summary>
public static class JobView
{
    public const int PollIntervalMs = 2000;

    public static string BaseUrl(HttpRequest request, string? configured) =>
        (configured ?? $"{request.Scheme}://{request.Host}{request.PathBase}").TrimEnd('/');

    public static Dictionary<string, object?> Describe(Job job, string baseUrl)
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
            body["hint"] = "redeem the same request with the same Authorization header to retry; you will not be charged again";
        }
        else if (!job.IsFinished)
        {
            body["poll_interval_ms"] = PollIntervalMs;
        }

        return body;
    }
}
