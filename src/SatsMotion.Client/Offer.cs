using System.Globalization;
using System.Text.Json.Nodes;
using SatsMotion.L402.Mpp;
using SatsMotion.Lightning.Bolt11;

namespace SatsMotion.Client;

/// <summary>
/// What a 402 offers this client: the invoice it will pay, and the credentials that invoice can be redeemed with
/// (an L402 macaroon, a Payment challenge, or both when the server offers one invoice under both schemes).
/// </summary>
public sealed record Offer(string Scheme, string PaymentRequest, Bolt11Invoice Invoice, string? Macaroon, PaymentChallenge? Payment)
{
    /// <summary>
    /// Reads every challenge of the 402 and picks one: L402 unless <paramref name="preferMpp"/> (or it is all there
    /// is). A Payment challenge is taken only if its request agrees with its own invoice (amount, currency, hash)
    /// and it has not expired: the client never pays what the challenge does not say.
    /// </summary>
    public static Offer Read(HttpResponseMessage response, DateTimeOffset now, bool preferMpp)
    {
        var headers = response.Headers.TryGetValues("WWW-Authenticate", out var values) ? values.ToList() : [];
        string? problem = null;

        (string Macaroon, string PaymentRequest, Bolt11Invoice Invoice)? l402 = null;
        foreach (var (scheme, parameters) in headers.SelectMany(AuthParameters.Challenges))
        {
            if (l402 is not null || scheme.ToUpperInvariant() is not ("L402" or "LSAT"))
            {
                continue;
            }

            if (!parameters.TryGetValue("macaroon", out var macaroon) || !parameters.TryGetValue("invoice", out var request))
            {
                problem ??= $"the {scheme} challenge has no {(macaroon is null ? "macaroon" : "invoice")}";
            }
            else if (Bolt11Codec.TryDecode(request, out var decoded, out var error))
            {
                l402 = (macaroon, request, decoded!);
            }
            else
            {
                problem ??= $"the L402 challenge's invoice is invalid: {error}";
            }
        }

        (PaymentChallenge Challenge, string PaymentRequest, Bolt11Invoice Invoice)? payment = null;
        foreach (var challenge in PaymentChallenge.ParseAll(headers).Where(c => c.Method == LightningMethod && c.Intent == ChargeIntent))
        {
            if (CheckCharge(challenge, now, out var request, out var decoded, out var why))
            {
                payment = (challenge, request!, decoded!);
                break;
            }

            problem ??= $"the Payment challenge is unusable: {why}";
        }

        // Both credentials are kept when both name the same invoice, so a resumed run can use either.
        var sameInvoice = l402 is not null && payment is not null && l402.Value.PaymentRequest == payment.Value.PaymentRequest;
        var offer = payment is not null && (preferMpp || l402 is null)
            ? new Offer(PaymentFetcher.Mpp, payment.Value.PaymentRequest, payment.Value.Invoice, sameInvoice ? l402!.Value.Macaroon : null, payment.Value.Challenge)
            : l402 is not null
                ? new Offer(PaymentFetcher.L402, l402.Value.PaymentRequest, l402.Value.Invoice, l402.Value.Macaroon, sameInvoice ? payment!.Value.Challenge : null)
                : throw new ClientException(ClientExit.ServerError,
                    $"the server asked for payment but its challenge is unusable: {problem ?? "neither L402 nor a Payment (lightning charge) challenge"}");

        return offer.Invoice.AmountSat is null
            ? throw new ClientException(ClientExit.PriceRefused, "the invoice has no amount; refusing to pay an open amount")
            : offer;
    }

    public const string LightningMethod = "lightning";
    public const string ChargeIntent = "charge";

    /// <summary>When the challenge stops being accepted: never without expires, at once when it does not parse.</summary>
    public static DateTimeOffset ExpiresAt(PaymentChallenge challenge) =>
        challenge.Expires is null ? DateTimeOffset.MaxValue
        : DateTimeOffset.TryParse(challenge.Expires, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expires) ? expires : DateTimeOffset.MinValue;

    private static bool CheckCharge(PaymentChallenge challenge, DateTimeOffset now, out string? paymentRequest, out Bolt11Invoice? invoice, out string? problem)
    {
        paymentRequest = null;
        invoice = null;
        JsonNode? request = null;
        try
        {
            request = Base64Url.TryDecode(challenge.Request, out var bytes) ? JsonNode.Parse(bytes) : null;
        }
        catch (System.Text.Json.JsonException)
        {
        }

        string? Text(JsonNode? node, string name) => node?[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
        paymentRequest = Text(request?["methodDetails"], "invoice");
        problem = request is null ? "its request is not base64url JSON"
            : paymentRequest is null ? "its request names no invoice"
            : !Bolt11Codec.TryDecode(paymentRequest, out invoice, out var error) ? $"its invoice is invalid: {error}"
            : Text(request, "currency") != "sat" ? $"currency '{Text(request, "currency")}' is not sat"
            : Text(request, "amount") != invoice!.AmountSat?.ToString(CultureInfo.InvariantCulture) ? $"its amount {Text(request, "amount")} is not the invoice's {invoice.AmountSat}"
            : Text(request["methodDetails"], "paymentHash") is { } hash && !hash.Equals(invoice.PaymentHashHex, StringComparison.OrdinalIgnoreCase) ? "its paymentHash is not the invoice's"
            : ExpiresAt(challenge) <= now ? $"it expired at {challenge.Expires}"
            // Draft -01: a credential goes only in the field the challenge selects, and a client that does not send that
            // field must not pay it (this client sends Authorization only), so it is refused before any payment.
            : challenge.Header is { } field && !field.Equals("Authorization", StringComparison.OrdinalIgnoreCase) ? $"it wants the credential in '{field}', which this client does not send"
            : null;
        return problem is null;
    }
}
