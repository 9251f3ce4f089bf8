using SatsMotion.L402.Tokens;
using SatsMotion.Lightning;

namespace SatsMotion.Server.Api;

/// <summary>
/// An invoice's status for the holder of its macaroon (the web page's poll and the agents' check_invoice): the
/// macaroon must be ours and belong to that payment hash; the preimage is shown once the invoice is settled.
/// </summary>
public sealed class InvoiceStatusQuery(L402TokenVerifier verifier, ILightningBackend lightning)
{
    public async Task<(Dictionary<string, object?>? Status, ApiError? Error)> AskAsync(string macaroon, string paymentHash, CancellationToken cancellationToken)
    {
        var verification = verifier.VerifyIssuer(macaroon);
        if (!verification.Success)
        {
            return (null, new ApiError(StatusCodes.Status401Unauthorized, "L402_INVALID_TOKEN", verification.Reason!, Hint: "send the macaroon exactly as received in the challenge"));
        }

        if (!string.Equals(verification.Identifier!.PaymentHashHex, paymentHash, StringComparison.OrdinalIgnoreCase))
        {
            return (null, new ApiError(StatusCodes.Status403Forbidden, "L402_INVOICE_MISMATCH", "this macaroon belongs to another invoice", Hint: "ask about the payment_hash of your own challenge"));
        }

        var status = await lightning.LookupInvoiceAsync(verification.Identifier.PaymentHash, cancellationToken);
        var body = new Dictionary<string, object?> { ["payment_hash"] = verification.Identifier.PaymentHashHex, ["status"] = status.State.ToString().ToLowerInvariant() };
        if (status.State == InvoiceState.Settled && status.Preimage is not null)
        {
            body["preimage"] = Convert.ToHexStringLower(status.Preimage);
        }

        return (body, null);
    }
}
