using Microsoft.Extensions.Options;
using SatsMotion.Server.Agents;
using SatsMotion.Server.Configuration;
using SatsMotion.Video.Models;

namespace SatsMotion.Server.Api;

/// <summary>GET /api/l402/animate-image: what the service takes (a JSON schema), the price rule and the flow.</summary>
public static class ServiceDescription
{
    public static IResult Describe(HttpContext context, ModelCatalog catalog, ServiceManifest manifest, IOptions<SatsMotionOptions> options)
    {
        var baseUrl = JobView.BaseUrl(context.Request, options.Value.PublicBaseUrl);
        var model = catalog.Default.Descriptor;
        return Results.Json(new Dictionary<string, object?>
        {
            ["service"] = ChallengeIssuer.Service,
            ["description"] = "Animate a still image into a video, guided by a text prompt. Pay per request over L402 (Lightning); no account.",
            ["method"] = "POST",
            ["url"] = baseUrl + AnimateImageEndpoints.Path,
            ["price_rule"] = $"price_sats = duration × the model's sats per second (default model: {model.SatsPerSecond}/s, so {model.DefaultDuration} s = {model.PriceSats(model.DefaultDuration)} sats)",
            ["models_url"] = baseUrl + "/api/l402/models",
            ["manifest_url"] = baseUrl + "/.well-known/l402-services",
            ["flow"] = new[]
            {
                "POST the JSON body without credentials: 402 with WWW-Authenticate: L402 macaroon=\"…\", invoice=\"…\"",
                "pay the invoice with any Lightning wallet and keep the preimage (64 hex characters)",
                "POST the identical body with Authorization: L402 <macaroon>:<preimage>: 200 {videoUrl} or 202 {poll_url, events_url}",
                "optionally: a callback_url in the body gets a signed webhook when the job ends (webhook_secret comes in the paid answer)",
            },
            ["request_schema"] = manifest.RequestSchema(),
            ["headers"] = new
            {
                prefer = "Prefer: wait=N (seconds to wait for the video, default 60) or Prefer: respond-async (answer 202 at once)",
            },
        });
    }
}
