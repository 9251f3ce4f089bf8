using QRCoder;
using SatsMotion.L402.Tokens;
using SatsMotion.Server.Hardening;

namespace SatsMotion.Server.Api;

/// <summary>
/// What the web page needs beyond the public API: the invoice's status for the holder of its macaroon (a wallet
/// on another device never hands the page the preimage), and QR codes of invoices.
/// </summary>
public static class WebPageEndpoints
{
    private const int MaxQrText = 2048;

    public static void MapWebPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/l402/invoices/{paymentHash}", InvoiceAsync).RequireRateLimiting(RateLimits.InvoicePollPolicy).WithName("InvoiceStatus")
            .WithSummary("Holder of the macaroon (Authorization: L402 <macaroon>): open, settled (with the preimage) or expired");
        app.MapGet("/api/qr", Qr).WithName("QrCode").WithSummary("A PNG QR code of ?data=… (e.g. LIGHTNING:LNBC…)");
    }

    private static async Task<IResult> InvoiceAsync(string paymentHash, HttpContext context, InvoiceStatusQuery query)
    {
        if (!L402Credential.TryReadMacaroon(context.Request.Headers.Authorization.ToString(), out var macaroon))
        {
            return new ApiError(StatusCodes.Status401Unauthorized, "L402_MALFORMED_CREDENTIAL", "send the challenge's macaroon as 'Authorization: L402 <macaroon>'",
                Hint: "only the holder of the macaroon that came with the invoice may ask about it").ToResult();
        }

        var (status, error) = await query.AskAsync(macaroon, paymentHash, context.RequestAborted);
        return error?.ToResult() ?? Results.Json(status);
    }

    private static IResult Qr(string? data)
    {
        if (string.IsNullOrEmpty(data) || data.Length > MaxQrText)
        {
            return ApiError.BadInput("data", $"data must be 1 to {MaxQrText} characters").ToResult();
        }

        using var generator = new QRCodeGenerator();
        using var code = generator.CreateQrCode(data, QRCodeGenerator.ECCLevel.M);
        var png = new PngByteQRCode(code).GetGraphic(6);
        return Results.File(png, "image/png");
    }
}
