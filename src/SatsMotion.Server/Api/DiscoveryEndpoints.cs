using SatsMotion.Lightning;
using SatsMotion.Video.Encoding;
using SatsMotion.Video.Models;

namespace SatsMotion.Server.Api;

/// <summary>GET /api/l402/models and GET /healthz.</summary>
public static class DiscoveryEndpoints
{
    public static void MapDiscovery(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/l402/models", Models).WithName("Models").WithSummary("The models on offer and their prices");
    }

    /// <summary>GET /healthz, which every role answers (a worker too).</summary>
    public static void MapHealth(this IEndpointRouteBuilder app) =>
        app.MapGet("/healthz", Health).WithName("Health").WithSummary("Liveness and what is configured");

    private static IResult Models(ModelCatalog catalog) => Results.Json(catalog.All.Select(m => Describe(m.Descriptor, m == catalog.Default, catalog.AvailabilityOf(m))));

    private static object Describe(ModelDescriptor d, bool isDefault, ModelAvailability availability) => new Dictionary<string, object?>
    {
        ["id"] = d.Id,
        ["slug"] = d.Slug,
        ["name"] = d.Name,
        ["description"] = d.Description,
        ["service"] = ChallengeIssuer.Service,
        ["type"] = d.Kind,
        ["price_sats_per_second"] = d.SatsPerSecond,
        ["price"] = $"{d.SatsPerSecond} sats/second",
        ["min_duration"] = d.MinDurationSeconds,
        ["max_duration"] = d.MaxDurationSeconds,
        ["default_duration"] = d.DefaultDuration,
        ["durations"] = d.Durations,
        ["default"] = isDefault,
        ["kind"] = d.IsAi ? "ai" : "local",
        ["output"] = d.Output,
        ["available"] = availability.Available,
        ["unavailable_reason"] = availability.Available ? null : availability.CallerReason ?? "its provider cannot take work right now",

        // False while the provider's schema cannot be read: the model sells, but its input was not checked against it.
        ["input_checked"] = availability.InputChecked,
        ["notice"] = availability.Available ? availability.CallerReason : null,
    };

    private static IResult Health(ILightningBackend lightning, ModelCatalog catalog, Microsoft.Extensions.Options.IOptions<Configuration.SatsMotionOptions> options) => Results.Json(new Dictionary<string, object?>
    {
        ["status"] = "ok",
        ["version"] = ServerVersion.Text,
        ["role"] = options.Value.Role.ToString().ToLowerInvariant(),
        ["lightning"] = lightning.Name,
        ["real_money"] = !lightning.IsDevelopment,
        ["models"] = catalog.All.Select(m => m.Descriptor.Slug),
        ["ffmpeg"] = FfmpegTools.IsAvailable,
    });
}
