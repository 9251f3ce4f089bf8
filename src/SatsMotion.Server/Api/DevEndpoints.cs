using System.Text.Json;
using SatsMotion.Lightning.DevNode;

namespace SatsMotion.Server.Api;

/// <summary>POST /api/dev/pay: the test wallet. Mapped only when the embedded dev node is the backend.</summary>
public static class DevEndpoints
{
    public static void MapDevWallet(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/dev/pay", PayAsync).WithName("DevPay").WithSummary("Dev node only: settle one of its invoices and return the preimage");
    }

    private static async Task<IResult> PayAsync(HttpContext context, DevLightningNode node)
    {
        var body = await RequestBody.ReadAsync(context.Request, 64 * 1024, context.RequestAborted);
        string? invoice = null;
        try
        {
            using var json = JsonDocument.Parse(body ?? []);
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("invoice", out var value) && value.ValueKind == JsonValueKind.String)
            {
                invoice = value.GetString();
            }
        }
        catch (JsonException)
        {
        }

        if (string.IsNullOrWhiteSpace(invoice))
        {
            return ApiError.BadInput("invoice", "body must be {\"invoice\": \"<bolt11>\"}").ToResult();
        }

        try
        {
            var preimage = await node.PayAsync(invoice, context.RequestAborted);
            return Results.Json(new { preimage = Convert.ToHexStringLower(preimage), payment_hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(preimage)) });
        }
        catch (DevPaymentException e)
        {
            var error = e.Failure switch
            {
                DevPaymentFailure.Malformed => new ApiError(StatusCodes.Status400BadRequest, "INVALID_INVOICE", e.Message, "invoice", "send the bolt11 string from the 402 challenge"),
                DevPaymentFailure.Expired => new ApiError(StatusCodes.Status410Gone, "INVOICE_EXPIRED", e.Message, "invoice", "request a new challenge; expired invoices cannot be paid"),
                _ => new ApiError(StatusCodes.Status404NotFound, "INVOICE_NOT_FOUND", e.Message, "invoice", "the dev wallet pays only invoices issued by this server"),
            };
            return error.ToResult();
        }
    }
}
