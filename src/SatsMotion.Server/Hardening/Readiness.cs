using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SatsMotion.Lightning;
using SatsMotion.Server.Storage;
using SatsMotion.Video.Encoding;
using SatsMotion.Video.Models;

namespace SatsMotion.Server.Hardening;

/// <summary>
/// GET /readyz: can this server take paid work now? The store answers, the video storage is writable, the Lightning
/// node answers its getinfo call and ffmpeg is installed (else 503); a configured model that is unavailable makes it
/// degraded (200: the other models still sell). The JSON names each check and what is wrong.
/// </summary>
public static class Readiness
{
    public static void AddReadinessChecks(this IServiceCollection services) => services.AddHealthChecks()
        .AddCheck<StoreCheck>("store")
        .AddCheck<VideoStorageCheck>("video-storage")
        .AddCheck<LightningCheck>("lightning")
        .AddCheck("ffmpeg", () => FfmpegTools.IsAvailable ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy(FfmpegTools.InstallHint))
        .AddCheck<ModelsCheck>("models");

    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new Dictionary<string, object?>
        {
            ["status"] = report.Status.ToString().ToLowerInvariant(),
            ["checks"] = report.Entries.ToDictionary(e => e.Key, e => new Dictionary<string, object?>
            {
                ["status"] = e.Value.Status.ToString().ToLowerInvariant(),
                ["description"] = e.Value.Description,
            }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }

    private sealed class StoreCheck(JobStore store) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                return HealthCheckResult.Healthy($"{await store.CountQueuedAsync(cancellationToken)} jobs queued");
            }
            catch (Exception e) when (e is System.Data.Common.DbException or IOException or TimeoutException)
            {
                return HealthCheckResult.Unhealthy($"the database does not answer: {e.Message}");
            }
        }
    }

    private sealed class VideoStorageCheck(IBlobStore blobs) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            await blobs.CheckAsync(cancellationToken) is { } problem ? HealthCheckResult.Unhealthy(problem) : HealthCheckResult.Healthy(blobs.Description);
    }

    private sealed class LightningCheck(ILightningBackend lightning, LightningIncidents incidents) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                var info = await lightning.GetInfoAsync(timeout.Token);
                return info.Synced ? HealthCheckResult.Healthy($"{lightning.Name}, {info.Network.ToString().ToLowerInvariant()}")
                    : HealthCheckResult.Unhealthy($"{lightning.Name} is not synced to the chain");
            }
            catch (LightningBackendException e)
            {
                incidents.Record(e);
                return HealthCheckResult.Unhealthy($"{e.Failure}: {e.Message}");
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return HealthCheckResult.Unhealthy($"{lightning.Name} did not answer within 5 s");
            }
        }
    }

    private sealed class ModelsCheck(ModelCatalog catalog) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var down = catalog.All.Where(m => !catalog.AvailabilityOf(m).Available).Select(m => $"{m.Descriptor.Slug}: {catalog.AvailabilityOf(m).Reason}").ToList();
            return Task.FromResult(down.Count == 0 ? HealthCheckResult.Healthy($"{catalog.All.Count} available")
                : down.Count == catalog.All.Count ? HealthCheckResult.Unhealthy($"no model can take work ({string.Join("; ", down)})")
                : HealthCheckResult.Degraded($"unavailable: {string.Join("; ", down)}"));
        }
    }
}
