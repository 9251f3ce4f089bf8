using Microsoft.AspNetCore.Diagnostics;
using SatsMotion.Lightning;
using SatsMotion.Server.Hardening;

namespace SatsMotion.Server.Api;

/// <summary>
/// What a caller is told when the Lightning node fails us: 503 with Retry-After while it is away (nothing was
/// charged; a paid token stays good), 502 when it answered something that failed our checks. Never a challenge.
/// </summary>
public sealed class LightningErrors(ILogger<LightningErrors> log, LightningIncidents incidents) : IExceptionHandler
{
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(10);

    public static ApiError ToApiError(LightningBackendException exception) => exception.Failure == LightningFailure.Misbehaved
        ? new ApiError(StatusCodes.Status502BadGateway, "LIGHTNING_BACKEND_ERROR", "the Lightning node gave an answer that failed this server's checks",
            Hint: "nothing was charged; try again later (the operator has the details in the log)")
        : new ApiError(StatusCodes.Status503ServiceUnavailable, "LIGHTNING_UNAVAILABLE", "the Lightning node cannot be reached right now",
            Hint: "nothing was charged, and a paid token stays valid: send the same request again later", RetryAfter: RetryAfter);

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not LightningBackendException lightning)
        {
            return false;
        }

        SatsMotionMetrics.BackendErrors.WithLabels("lightning", lightning.Failure.ToString()).Inc();
        incidents.Record(lightning);
        log.LogError("Lightning backend failed ({Failure}) on {Method} {Path}: {Message}", lightning.Failure, httpContext.Request.Method, httpContext.Request.Path, lightning.Message);
        await ToApiError(lightning).ToResult().ExecuteAsync(httpContext);
        return true;
    }
}
