using Microsoft.Extensions.Options;
using SatsMotion.L402.Mpp;
using SatsMotion.L402.Tokens;
using SatsMotion.Lightning;
using SatsMotion.Lightning.Bolt11;
using SatsMotion.Server.Configuration;
using SatsMotion.Server.Hardening;
using SatsMotion.Server.Storage;

namespace SatsMotion.Server.Api;

/// <summary>A 402 challenge: one invoice, the L402 macaroon and the Payment challenge for it, and the same facts for the JSON body.</summary>
public sealed record IssuedChallenge(MintedToken Token, CreatedInvoice Invoice, long PriceSats, PaymentChallenge Payment)
{
    public L402Challenge Challenge => new(Token.MacaroonBase64, Invoice.PaymentRequest);
}

/// <summary>
/// Creates an invoice for the request's price, mints the macaroon bound to that request, and the Payment scheme's
/// challenge for the same invoice (its request naming our fingerprint of the request): a payment redeems with either.
/// </summary>
public sealed class ChallengeIssuer(ILightningBackend lightning, L402TokenMinter minter, LightningCharge charge, IOptions<SatsMotionOptions> options, TimeProvider time,
    ChallengeTally tally)
{
    public const string Service = "animate-image";

    /// <summary>The problem types of the Payment scheme (RFC 9457, https://paymentauth.org/problems/…).</summary>
    public const string ProblemBase = "https://paymentauth.org/problems/";

    private readonly IReadOnlyList<PaymentScheme> _schemes = PaymentSchemes.Parse(options.Value.PaymentSchemes);

    public IReadOnlyList<PaymentScheme> Schemes => _schemes;

    public async Task<IssuedChallenge> IssueAsync(AnimateRequest request, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var price = request.PriceSats;
        var description = $"SatsMotion {Service}: {request.DurationSeconds} s of video ({request.Model.Descriptor.Slug})";
        var invoice = await lightning.CreateInvoiceAsync(price, description, settings.InvoiceExpiry, cancellationToken);
        var token = minter.Mint(invoice.PaymentHash, Service, request.RequestHash, time.GetUtcNow() + settings.TokenLifetime);

        // The Payment challenge lasts as long as its invoice, not longer (the draft): a paid one is redeemed by its L402 token after.
        // The network from the prefix alone: a full decode would recover the signer's key on every 402.
        var network = Bolt11NetworkPrefix.TryRead(invoice.PaymentRequest.ToLowerInvariant()[2..], out var net, out _) ? net.ToString().ToLowerInvariant() : "mainnet";
        var payment = charge.Mint(invoice.PaymentRequest, invoice.PaymentHash, price, network, request.RequestHash, invoice.ExpiresAt);
        foreach (var scheme in _schemes)
        {
            SatsMotionMetrics.ChallengesIssued.WithLabels(request.Model.Descriptor.Slug, scheme.ToString().ToLowerInvariant()).Inc();
        }

        tally.Count(request.Model.Descriptor.Slug);

        return new IssuedChallenge(token, invoice, price, payment);
    }

    /// <summary>
    /// The 402 (or other status) carrying fresh challenges, one WWW-Authenticate line per scheme in the configured
    /// order, never cached. With a Payment challenge the body is RFC 9457 problem details of the Payment scheme
    /// (<paramref name="problemType"/>) that still carries our own fields, so every client reads it.
    /// </summary>
    public IResult Respond(HttpContext context, IssuedChallenge issued, ApiError error, string problemType = "payment-required")
    {
        context.Response.Headers.WWWAuthenticate = _schemes.Select(s => s == PaymentScheme.L402 ? issued.Challenge.ToHeaderValue() : issued.Payment.ToHeaderValue()).ToArray();
        context.Response.Headers.CacheControl = "no-store";
        var facts = new Dictionary<string, object?>
        {
            ["price_sats"] = issued.PriceSats,
            ["invoice"] = issued.Invoice.PaymentRequest,
            ["macaroon"] = issued.Token.MacaroonBase64,
            ["payment_hash"] = issued.Token.Identifier.PaymentHashHex,
            ["expires_at"] = issued.Invoice.ExpiresAt,
        };
        return _schemes.Contains(PaymentScheme.Mpp) ? Problem(error, problemType, issued.Payment.Id, facts) : error.ToResult(facts);
    }

    /// <summary>A 402 carrying a Payment challenge the caller already holds (still valid, its invoice not settled yet), alone.</summary>
    public static IResult RespondWith(HttpContext context, PaymentChallenge challenge, long priceSats, ApiError error, string problemType)
    {
        context.Response.Headers.WWWAuthenticate = challenge.ToHeaderValue();
        context.Response.Headers.CacheControl = "no-store";
        return Problem(error, problemType, challenge.Id, new Dictionary<string, object?> { ["price_sats"] = priceSats });
    }

    private static IResult Problem(ApiError error, string problemType, string challengeId, Dictionary<string, object?> facts)
    {
        facts["type"] = ProblemBase + problemType;
        facts["title"] = Title(problemType);
        facts["status"] = error.Status;
        facts["detail"] = error.Error;
        facts["challengeId"] = challengeId;
        return error.ToResult(facts, "application/problem+json");
    }

    // "lightning/invalid-preimage" → "Invalid Preimage".
    private static string Title(string problemType) =>
        string.Join(' ', problemType.Split('/')[^1].Split('-').Select(word => char.ToUpperInvariant(word[0]) + word[1..]));
}
