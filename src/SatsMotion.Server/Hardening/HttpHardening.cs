using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Prometheus;
using SatsMotion.Server.Configuration;

namespace SatsMotion.Server.Hardening;

/// <summary>
/// What stands between anonymous callers and the paid API: trusted-proxy addresses, request ids, security headers,
/// CORS for browser clients (which may read WWW-Authenticate and Payment-Receipt and nothing more), per-address rate limits, and the
/// operator's probes and metrics (/healthz, /readyz, /metrics).
/// </summary>
public static class HttpHardening
{
    public static void AddHttpHardening(this IServiceCollection services, SatsMotionOptions settings)
    {
        services.AddTrustedProxies(settings.TrustedProxies);
        services.AddSatsMotionRateLimits(settings.RateLimits);
        services.AddCors(cors => cors.AddDefaultPolicy(policy => policy
            .AllowAnyOrigin()
            .WithMethods("GET", "POST")
            .WithHeaders("Authorization", "Content-Type", "Prefer")
            .WithExposedHeaders("WWW-Authenticate", L402.Mpp.PaymentReceipt.Header)));
        services.AddSingleton<RequestIds>();
        services.AddSingleton<UnpaidDecodes>();
        services.AddSingleton(new SecurityHeaders(settings.PublicBaseUrl));
        services.AddReadinessChecks();
    }

    /// <summary>The middleware, in order: the real client address first, so ids, logs and limits use it.</summary>
    public static void UseHttpHardening(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.Use((context, next) => context.RequestServices.GetRequiredService<RequestIds>().InvokeAsync(context, next));
        app.Use((context, next) => context.RequestServices.GetRequiredService<SecurityHeaders>().InvokeAsync(context, next));
        app.UseRouting();
        app.UseCors();
        app.UseRateLimiter();
    }

    public static void MapOperatorProbes(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            ResponseWriter = Readiness.WriteAsync,
            ResultStatusCodes =
            {
                [Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy] = StatusCodes.Status200OK,
                [Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded] = StatusCodes.Status200OK,
                [Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        }).WithName("Ready").WithSummary("Readiness: store, video storage, Lightning node, ffmpeg and models, each named");
        app.MapMetrics("/metrics").WithName("Metrics");
    }
}
