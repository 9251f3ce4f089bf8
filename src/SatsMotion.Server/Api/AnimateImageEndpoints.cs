using Microsoft.Extensions.Options;
using SatsMotion.Server.Configuration;
using SatsMotion.Server.Hardening;
using SatsMotion.Server.Jobs;
using SatsMotion.Server.Storage;
using SatsMotion.Video.Models;

namespace SatsMotion.Server.Api;

/// <summary>
/// POST /api/l402/animate-image: validate, then either challenge (402) or redeem a paid token for its one job.
/// </summary>
public static class AnimateImageEndpoints
{
    public const string Path = "/api/l402/animate-image";

    public static void MapAnimateImage(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, HandleAsync).RequireRateLimiting(RateLimits.AnimatePolicy).WithName("AnimateImage").WithSummary("Animate an image (L402: 402 with an invoice, then redeem with the paid token)");
        app.MapGet(Path, ServiceDescription.Describe).WithName("AnimateImageDescription").WithSummary("What this service takes, and its price rule");
    }

    private static async Task<IResult> HandleAsync(
        HttpContext context,
        ModelCatalog catalog,
        ChallengeIssuer issuer,
        RedemptionPolicy redemptions,
        JobWaiter waiter,
        Refunds refunds,
        UnpaidDecodes decodes,
        Callbacks.WebhookSigning signing,
        IOptions<SatsMotionOptions> options)
    {
        var settings = options.Value;
        var cancellationToken = context.RequestAborted;
        if (!IsJson(context.Request.ContentType))
        {
            return new ApiError(StatusCodes.Status415UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", $"Content-Type '{context.Request.ContentType}' is not JSON",
                "body", "send the body as JSON with 'Content-Type: application/json'; nothing was charged").ToResult();
        }

        var body = await RequestBody.ReadAsync(context.Request, settings.MaxRequestBytes, cancellationToken);
        if (body is null)
        {
            return new ApiError(StatusCodes.Status413PayloadTooLarge, "REQUEST_TOO_LARGE", $"request body is larger than {settings.MaxRequestBytes / (1024 * 1024)} MB",
                "body", $"send a smaller image (at most {settings.MaxImageBytes / (1024 * 1024)} MB decoded); nothing was charged").ToResult();
        }

        var authorization = context.Request.Headers.Authorization.ToString();
        if (context.Request.Headers.Authorization.Count > 1 && context.Request.Headers.Authorization.Any(L402.Mpp.PaymentCredential.IsPayment))
        {
            return new ApiError(StatusCodes.Status400BadRequest, "MPP_MULTIPLE_CREDENTIALS", "the request carries more than one Authorization header with a Payment credential",
                "Authorization", "send one credential; nothing was charged").ToResult();
        }

        (AnimateRequest? Request, ApiError? Error) Read() => AnimateRequestReader.Read(body, catalog, settings.MaxImageBytes, settings.MaxPromptLength, settings.Callbacks.AllowLoopback);
        // Only a verified paid token skips the anonymous decode slots: any other header is no pass.
        var (request, inputError) = redemptions.CarriesPaidToken(authorization) ? Read() : await DecodeUnpaidAsync(decodes, Read, cancellationToken);
        if (inputError is not null)
        {
            return inputError.ToResult();
        }

        var redemption = await redemptions.RedeemAsync(authorization, request!, cancellationToken, JobView.BaseUrl(context.Request, settings.PublicBaseUrl));
        if (redemption.Refusal is not null)
        {
            // Every refusal of a credential, and the plain 402, carries a fresh challenge for the request that was sent.
            return redemption switch
            {
                { WithChallenge: true } => issuer.Respond(context, await issuer.IssueAsync(request!, cancellationToken), redemption.Refusal, redemption.ProblemType),
                { Echoed: { } echoed } => ChallengeIssuer.RespondWith(context, echoed, request!.PriceSats, redemption.Refusal, redemption.ProblemType),
                _ => redemption.Refusal.ToResult(),
            };
        }

        var job = await waiter.WaitAsync(redemption.Job!.Id, PreferHeader.Wait(context.Request, settings.DefaultWait, settings.MaxWait), cancellationToken);
        if (redemption.Receipt is { } receipt && job.Status != JobStatus.FAILED)
        {
            // Payment scheme: a receipt on a 2xx only, and such an answer is the payer's alone.
            context.Response.Headers[L402.Mpp.PaymentReceipt.Header] = receipt.ToHeaderValue();
            context.Response.Headers.CacheControl = "private";
        }

        var refund = job.Status == JobStatus.FAILED ? await refunds.OfFailedJobAsync(job, cancellationToken) : null;
        // The signing secret of a callback goes to the token's holder only, in the answer its credential earned.
        return JobResult(context, job, settings.PublicBaseUrl, refund, job.CallbackUrl is null ? null : signing.SecretFor(job.TokenId));
    }

    // No Content-Type is taken as JSON (some HTTP tools send none); any other type is a client mistake.
    private static bool IsJson(string? contentType) =>
        string.IsNullOrEmpty(contentType)
        || (System.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var type)
            && type.MediaType is { } media && (media.Equals("application/json", StringComparison.OrdinalIgnoreCase) || media.Equals("text/json", StringComparison.OrdinalIgnoreCase)
                || (media.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && media.EndsWith("+json", StringComparison.OrdinalIgnoreCase))));

    /// <summary>The reader in one of the few slots anonymous callers share, or 503 when none came free in time.</summary>
    public static async Task<(AnimateRequest? Request, ApiError? Error)> DecodeUnpaidAsync(UnpaidDecodes decodes, Func<(AnimateRequest?, ApiError?)> read, CancellationToken cancellationToken)
    {
        var (ran, result) = await decodes.RunAsync(read, cancellationToken);
        return ran ? result : (null, new ApiError(StatusCodes.Status503ServiceUnavailable, "SERVER_BUSY", "too many unpaid requests are being checked right now",
            Hint: "nothing was charged; try again in a moment", RetryAfter: TimeSpan.FromSeconds(1)));
    }

    /// <summary>200 with the video, 202 while it is being made, 500 when it failed (the paid token can retry it).</summary>
    public static IResult JobResult(HttpContext context, Job job, string? publicBaseUrl, Refund? refund, string? webhookSecret = null)
    {
        var body = JobView.Describe(job, JobView.BaseUrl(context.Request, publicBaseUrl), refund);
        if (webhookSecret is not null)
        {
            body["callback_url"] = job.CallbackUrl;
            body["webhook_secret"] = webhookSecret;
        }

        switch (job.Status)
        {
            case JobStatus.COMPLETED:
                return Results.Json(body);
            case JobStatus.FAILED:
                body["error_code"] = "JOB_FAILED";
                return Results.Json(body, statusCode: StatusCodes.Status500InternalServerError);
            default:
                context.Response.Headers.Location = (string)body["poll_url"]!;
                context.Response.Headers.RetryAfter = (JobView.PollIntervalMs / 1000).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Results.Json(body, statusCode: StatusCodes.Status202Accepted);
        }
    }
}
