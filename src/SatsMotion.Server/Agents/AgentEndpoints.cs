using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using SatsMotion.Server.Api;
using SatsMotion.Server.Configuration;

namespace SatsMotion.Server.Agents;

/// <summary>Machine-readable discovery: /.well-known/l402-services and /llms.txt, free and cacheable (ETag, 304).</summary>
public static class AgentEndpoints
{
    public static void MapAgentDiscovery(this IEndpointRouteBuilder app)
    {
        app.MapGet("/.well-known/l402-services", (HttpContext context, ServiceManifest manifest, IOptions<SatsMotionOptions> options) =>
            Cacheable(context, manifest.Build(JobView.BaseUrl(context.Request, options.Value.PublicBaseUrl)).ToJsonString(), "application/json"))
            .WithName("L402Services").WithSummary("The paid services: endpoint, prices per model, request schema, how to pay and poll");
        app.MapGet("/llms.txt", (HttpContext context, ServiceManifest manifest, IOptions<SatsMotionOptions> options) =>
            Cacheable(context, LlmsText.Render(manifest.Build(JobView.BaseUrl(context.Request, options.Value.PublicBaseUrl))), "text/plain; charset=utf-8"))
            .WithName("LlmsText").WithSummary("A plain-text guide to using this service, for language models");
    }

    // The ETag is the content's hash, so it changes exactly when a price, a model or a rule does.
    private static IResult Cacheable(HttpContext context, string content, string contentType)
    {
        var tag = $"\"{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)))[..32]}\"";
        context.Response.Headers.ETag = tag;
        context.Response.Headers.CacheControl = "public, max-age=300";
        return context.Request.Headers.IfNoneMatch.Any(value => value is not null && value.Split(',').Select(v => v.Trim()).Contains(tag))
            ? Results.StatusCode(StatusCodes.Status304NotModified)
            : Results.Text(content, contentType, Encoding.UTF8);
    }
}
