using SatsMotion.Server.Jobs;
using SatsMotion.Video.Models;
using SatsMotion.Video.Remote;

namespace SatsMotion.Server.Api;

/// <summary>
/// POST /api/providers/{model}/push: a provider's signed word that one of its jobs ended (Replicate, fal). A push
/// that checks out wakes the wait for that job, here and on the other servers, which then reads the provider's state
/// itself: a forged or replayed push can make us look, never make us believe.
/// </summary>
public static class ProviderPushEndpoints
{
    private const int MaxPushBytes = 1024 * 1024;

    public static void MapProviderPushes(this IEndpointRouteBuilder app) =>
        app.MapPost(ProviderPushes.PathTemplate, PushAsync).ExcludeFromDescription();

    private static async Task<IResult> PushAsync(string model, HttpContext context, ModelCatalog catalog, ProviderPushes pushes, ILogger<ProviderPushes> log)
    {
        if (catalog.Find(model) is not RemoteVideoModel { Provider: IPushingProvider provider })
        {
            return new ApiError(StatusCodes.Status404NotFound, "NOT_FOUND", $"no model '{model}' takes provider pushes").ToResult();
        }

        var body = await RequestBody.ReadAsync(context.Request, MaxPushBytes, context.RequestAborted);
        if (body is null)
        {
            return new ApiError(StatusCodes.Status413PayloadTooLarge, "REQUEST_TOO_LARGE", "the push is larger than 1 MB").ToResult();
        }

        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        string? remoteJobId;
        try
        {
            remoteJobId = await provider.ReadPushAsync(headers, body, context.RequestAborted);
        }
        catch (VideoGenerationException e)
        {
            // The provider's keys could not be read: the push cannot be checked now; the provider retries it.
            log.LogWarning("A push for model {Model} could not be checked: {Detail}", model, e.Detail);
            return new ApiError(StatusCodes.Status503ServiceUnavailable, "PUSH_NOT_CHECKED", "the provider's signing keys cannot be read right now", RetryAfter: TimeSpan.FromSeconds(30)).ToResult();
        }

        if (remoteJobId is null)
        {
            log.LogWarning("A push for model {Model} from {Address} failed its signature or time check", model, context.Connection.RemoteIpAddress);
            return new ApiError(StatusCodes.Status401Unauthorized, "PUSH_NOT_VERIFIED", "the push's signature or timestamp does not check out").ToResult();
        }

        pushes.Wake(remoteJobId);
        if (context.RequestServices.GetService<IJobBroadcast>() is { } broadcast)
        {
            await broadcast.ProviderPushedAsync(remoteJobId);
        }

        return Results.NoContent();
    }
}
