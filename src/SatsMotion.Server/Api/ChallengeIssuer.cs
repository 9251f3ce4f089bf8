using Microsoft.Extensions.Options;
using SatsMotion.L402.Tokens;
using SatsMotion.Lightning;
using SatsMotion.Server.Configuration;
using SatsMotion.Server.Hardening;

namespace SatsMotion.Server.Api;

/// <summary>A 402 challenge: the header, and the same facts for the JSON body.</summary>
public sealed record IssuedChallenge(MintedToken Token, CreatedInvoice Invoice, long PriceSats)
{
    public L402Challenge Challenge => new(Token.MacaroonBase64, Invoice.PaymentRequest);
}

/// <summary>Creates an invoice for the request's price and mints the macaroon bound to that request.</summary>
public sealed class ChallengeIssuer(ILightningBackend lightning, L402TokenMinter minter, IOptions<SatsMotionOptions> options, TimeProvider time)
{
    public const string Service = "animate-image";

    public async Task<IssuedChallenge> IssueAsync(AnimateRequest request, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var price = request.PriceSats;
        var description = $"SatsMotion {Service}: {request.DurationSeconds} s of video ({request.Model.Descriptor.Slug})";
        var invoice = await lightning.CreateInvoiceAsync(price, description, settings.InvoiceExpiry, cancellationToken);
        var token = minter.Mint(invoice.PaymentHash, Service, request.RequestHash, time.GetUtcNow() + settings.TokenLifetime);
        SatsMotionMetrics.ChallengesIssued.WithLabels(request.Model.Descriptor.Slug).Inc();
        return new IssuedChallenge(token, invoice, price);
    }

    /// <summary>The 402 (or other status) response carrying a fresh challenge in the header and the body.</summary>
    public static IResult Respond(HttpContext context, IssuedChallenge issued, ApiError error)
    {
        context.Response.Headers.WWWAuthenticate = issued.Challenge.ToHeaderValue();
        return error.ToResult(new Dictionary<string, object?>
        {
            ["price_sats"] = issued.PriceSats,
            ["invoice"] = issued.Invoice.PaymentRequest,
            ["macaroon"] = issued.Token.MacaroonBase64,
            ["payment_hash"] = issued.Token.Identifier.PaymentHashHex,
            ["expires_at"] = issued.Invoice.ExpiresAt,
        });
    }
}
