using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace SatsMotion.Server.Agents;

/// <summary>
/// The OpenAPI document describes the paid operation as callers meet it: the 402 with its WWW-Authenticate challenge,
/// the Authorization credential of either scheme (L402, MPP's Payment), the receipt, Prefer, and every error code
/// (from the manifest's list) under its status.
/// </summary>
public static class OpenApiPaymentResponses
{
    public static void Configure(OpenApiOptions options) => options.AddOperationTransformer((operation, context, _) =>
    {
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IEndpointNameMetadata>().FirstOrDefault()?.EndpointName != "AnimateImage")
        {
            return Task.CompletedTask;
        }

        operation.Description = ServiceManifest.Summary + " Body: JSON {prompt, image (base64), duration?, modelId?, callback_url?, callback_id?}; callback_url: " +
            ServiceManifest.CallbackField + "; callback_id is echoed in its deliveries. See /.well-known/l402-services for the schema and prices.";
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter { Name = "Authorization", In = ParameterLocation.Header, Description = "L402 <macaroon>:<preimage hex> (LSAT accepted), or Payment <base64url credential> (MPP, method lightning); omit it to get the 402 challenge", Schema = Text() });
        operation.Parameters.Add(new OpenApiParameter { Name = "Prefer", In = ParameterLocation.Header, Description = "respond-async (202 at once) or wait=N seconds", Schema = Text() });
        operation.Responses ??= [];
        operation.Responses["200"] = Paid("The paid job's video is ready: {jobId, status: COMPLETED, videoUrl, posterUrl, ...}");
        operation.Responses["202"] = Paid("The paid job is being made: {jobId, status, progress, poll_url, events_url, webhook_secret when the request has a callback_url}; Location and Retry-After tell where and when to poll, events_url streams its progress");
        var challenge = Response("Payment Required: pay the invoice, then send the identical request with the credential. Codes: " + Codes("402"));
        challenge.Headers = new Dictionary<string, IOpenApiHeader>
        {
            ["WWW-Authenticate"] = new OpenApiHeader
            {
                Description = "One line per accepted scheme, all for the same invoice: L402 macaroon=\"<base64>\", invoice=\"<bolt11>\" " +
                    "and Payment id=\"…\", realm=\"…\", method=\"lightning\", intent=\"charge\", request=\"<base64url>\", expires=\"…\" " +
                    "(the body, application/problem+json, repeats them with price_sats, payment_hash, expires_at)",
                Schema = Text(),
            },
        };
        operation.Responses["402"] = challenge;
        foreach (var status in new[] { "400", "401", "403", "409", "413", "415", "429", "500", "502", "503" })
        {
            operation.Responses[status] = Response($"JSON {{error, error_code, field?, hint}}. Codes: {Codes(status)}");
        }

        return Task.CompletedTask;
    });

    // A code's meaning starts with its status: "402: …" or "402 (problem …): …".
    private static string Codes(string status) => string.Join("; ", ServiceManifest.ErrorCodes
        .Where(e => e.Value.StartsWith(status + ":", StringComparison.Ordinal) || e.Value.StartsWith(status + " (", StringComparison.Ordinal))
        .Select(e => $"{e.Key} ({e.Value[(status.Length + 1)..].TrimStart(':', ' ')})"));

    private static OpenApiResponse Response(string description) => new() { Description = description };

    private static OpenApiResponse Paid(string description)
    {
        var response = Response(description);
        response.Headers = new Dictionary<string, IOpenApiHeader>
        {
            ["Payment-Receipt"] = new OpenApiHeader { Description = "When paid with a Payment credential: base64url JSON {status: success, method: lightning, timestamp, reference, challengeId}", Schema = Text() },
        };
        return response;
    }

    private static OpenApiSchema Text() => new() { Type = JsonSchemaType.String };
}
