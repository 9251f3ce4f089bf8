using System.Data.Common;
using Microsoft.AspNetCore.Diagnostics;
using SatsMotion.Server.Hardening;
using SatsMotion.Server.Storage;

namespace SatsMotion.Server.Api;

/// <summary>
/// What a caller is told when the database or the bucket is away: 503 with Retry-After. Nothing was charged or
/// lost: a job row is only written after its image is stored, and a paid token stays good for a later try.
/// </summary>
public sealed class StoreErrors(ILogger<StoreErrors> log) : IExceptionHandler
{
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    public static ApiError? ToApiError(Exception exception) => exception switch
    {
        StorageUnavailableException => new ApiError(StatusCodes.Status503ServiceUnavailable, "STORAGE_UNAVAILABLE", "the video storage cannot be reached right now",
            Hint: "nothing was charged, and a paid token stays valid: send the same request again later", RetryAfter: RetryAfter),
        // Npgsql reports timeouts and a full pool as NpgsqlException, a DbException.
        DbException => new ApiError(StatusCodes.Status503ServiceUnavailable, "DATABASE_UNAVAILABLE", "the database cannot be reached right now",
            Hint: "nothing was charged, and a paid token stays valid: send the same request again later", RetryAfter: RetryAfter),
        _ => null,
    };

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (ToApiError(exception) is not { } error)
        {
            return false;
        }

        SatsMotionMetrics.BackendErrors.WithLabels(exception is StorageUnavailableException ? "storage" : "database", exception.GetType().Name).Inc();
        log.LogError("{What} failed on {Method} {Path}: {Message}", exception is StorageUnavailableException ? "Blob store" : "Database",
            httpContext.Request.Method, httpContext.Request.Path, exception.Message);
        await error.ToResult().ExecuteAsync(httpContext);
        return true;
    }
}
