using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using SatsMotion.Server.Configuration;
using SatsMotion.Server.Jobs;
using SatsMotion.Server.Storage;

namespace SatsMotion.Server.Api;

/// <summary>Reading results: job status, the compatible job-status alias, and the video files (with ranges).</summary>
public static partial class JobEndpoints
{
    public static void MapJobs(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/l402/jobs/{jobId}", JobAsync).WithName("Job").WithSummary("A job's status, progress and video");
        app.MapGet("/api/l402/jobs/{jobId}/events", EventsAsync).WithName("JobEvents").WithSummary("A job's status and progress as server-sent events, until it ends")
            .Produces<string>(StatusCodes.Status200OK, "text/event-stream").Produces(StatusCodes.Status204NoContent); // the document says it is a stream, not JSON
        app.MapGet("/api/l402/job-status", JobStatusAsync).WithName("JobStatus").WithSummary("Compatible alias: ?requestId=<jobId>&jobType=video");
        app.MapGet("/videos/{file}", VideoAsync).WithName("Video").WithSummary("A finished video (.mp4) or its poster (.jpg)");
    }

    private static async Task<IResult> JobAsync(string jobId, HttpContext context, JobStore store, RefundStore refunds, IOptions<SatsMotionOptions> options)
    {
        var job = await FindAsync(jobId, store, context.RequestAborted);
        return job is null ? NotFound(jobId)
            : Results.Json(JobView.Describe(job, JobView.BaseUrl(context.Request, options.Value.PublicBaseUrl), await refunds.FindByJobAsync(job.Id, context.RequestAborted)));
    }

    private static async Task<IResult> EventsAsync(string jobId, HttpContext context, JobStore store, JobEventStream stream, IOptions<SatsMotionOptions> options)
    {
        var job = await FindAsync(jobId, store, context.RequestAborted);
        if (job is null)
        {
            return NotFound(jobId);
        }

        var lastEventId = context.Request.Headers["Last-Event-ID"].ToString();
        if (job.IsFinished && lastEventId == JobEventStream.EventId(job))
        {
            // The client has the end already: 204 tells an EventSource to stop reconnecting.
            return Results.NoContent();
        }

        var baseUrl = JobView.BaseUrl(context.Request, options.Value.PublicBaseUrl);
        return TypedResults.ServerSentEvents(stream.ReadAsync(job, baseUrl, lastEventId.Length == 0 ? null : lastEventId, context.RequestAborted));
    }

    private static async Task<IResult> JobStatusAsync(string? requestId, string? jobType, HttpContext context, JobStore store, IOptions<SatsMotionOptions> options)
    {
        if (string.IsNullOrEmpty(requestId))
        {
            return ApiError.BadInput("requestId", "requestId (the jobId) is required").ToResult();
        }

        if (jobType is not null && !jobType.Equals("video", StringComparison.OrdinalIgnoreCase))
        {
            return ApiError.BadInput("jobType", $"jobType '{jobType}' is not served here; only 'video'").ToResult();
        }

        var job = await FindAsync(requestId, store, context.RequestAborted);
        if (job is null)
        {
            return NotFound(requestId);
        }

        var view = JobView.Describe(job, JobView.BaseUrl(context.Request, options.Value.PublicBaseUrl));
        return Results.Json(new Dictionary<string, object?>
        {
            ["status"] = job.Status.ToString(),
            ["progress"] = view["progress"],
            ["result"] = view.TryGetValue("videoUrl", out var url) ? new { url, posterUrl = view["posterUrl"] } : null,
            ["error"] = view.GetValueOrDefault("error"),
            ["jobId"] = job.Id,
        });
    }

    private static async Task<IResult> VideoAsync(string file, IBlobStore blobs, CancellationToken cancellationToken)
    {
        var match = VideoFilePattern().Match(file);
        var served = match.Success ? await blobs.ServeAsync($"videos/{file}", match.Groups[1].Value == "mp4" ? "video/mp4" : "image/jpeg", cancellationToken) : null;
        return served ?? new ApiError(StatusCodes.Status404NotFound, "NOT_FOUND", "no such video", Hint: "videos are kept for the retention period; check the job's status").ToResult();
    }

    private static async Task<Job?> FindAsync(string jobId, JobStore store, CancellationToken cancellationToken) =>
        JobIdPattern().IsMatch(jobId) ? await store.FindAsync(jobId, cancellationToken) : null;

    private static IResult NotFound(string jobId) =>
        new ApiError(StatusCodes.Status404NotFound, "JOB_NOT_FOUND", $"no job '{jobId}'", Hint: "use the jobId returned when you redeemed your token").ToResult();

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex JobIdPattern();

    [GeneratedRegex(@"^[0-9a-f]{32}\.(mp4|jpg)$")]
    private static partial Regex VideoFilePattern();
}
