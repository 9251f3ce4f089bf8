using Microsoft.Extensions.Options;
using SatsMotion.L402.Mpp;
using SatsMotion.L402.Tokens;
using SatsMotion.Lightning;
using SatsMotion.Server.Configuration;
using SatsMotion.Server.Hardening;
using SatsMotion.Server.Jobs;
using SatsMotion.Server.Storage;

namespace SatsMotion.Server.Api;

/// <summary>
/// The outcome of presenting a credential for a request: the token's one job, or a refusal. A refusal of the
/// credential itself comes with a fresh challenge for the request (<see cref="WithChallenge"/>), and, for the Payment
/// scheme, the problem type it is; a refusal of a Payment credential whose invoice is not settled yet carries that
/// credential's own challenge back instead (<see cref="Echoed"/>). A job paid through the Payment scheme comes with its receipt.
/// </summary>
public sealed record Redemption(Job? Job, ApiError? Refusal, bool WithChallenge, string Outcome = "refused", string ProblemType = "payment-required", PaymentReceipt? Receipt = null,
    PaymentChallenge? Echoed = null)
{
    public static Redemption Refused(ApiError error, bool withChallenge = true, string problemType = "payment-required") => new(null, error, withChallenge, ProblemType: problemType);
}

/// <summary>A credential that verified: the one token a payment buys (whichever scheme presented it), and a Payment receipt's facts.</summary>
internal sealed record PaidCredential(string Scheme, string TokenIdHex, byte[] PaymentHash, PaymentChallenge? Challenge);

/// <summary>
/// Who gets a job for a paid token: the credential — an L402 macaroon with its preimage, or a Payment (MPP)
/// credential for the same invoice — must verify for this exact request, the token must not be revoked, and (with
/// settlement checks) the node must report the invoice paid in full. Both schemes name the one token of the invoice
/// (its id derives from the payment hash), so a payment buys one job whichever credential comes first: a replay in
/// either scheme returns it without asking the node again, and a FAILED job is retried at no charge. Shared by the
/// HTTP API and the MCP tools, which only translate its outcome.
/// </summary>
public sealed class RedemptionPolicy(
    L402TokenVerifier verifier,
    LightningCharge charge,
    TimeProvider time,
    ILightningBackend lightning,
    JobStore store,
    JobQueue queue,
    RevocationStore revocations,
    UnderpaidInvoiceStore underpaid,
    IOptions<SatsMotionOptions> options,
    ILogger<RedemptionPolicy> log)
{
    private const string FreshChallenge = "a fresh challenge for this request is in WWW-Authenticate";

    public static ApiError PaymentRequired(AnimateRequest request) => new(StatusCodes.Status402PaymentRequired, "PAYMENT_REQUIRED", $"payment of {request.PriceSats} sats required",
        Hint: "pay the invoice, then send the identical request with 'Authorization: L402 <macaroon>:<preimage>' (or 'Authorization: Payment …' for the Payment challenge)");

    /// <summary>
    /// True when the header holds a macaroon this server issued and the preimage of its invoice: a paying caller,
    /// whose request skips the anonymous decode slots. Checked before the request is read (HMAC and one hash, no I/O).
    /// </summary>
    public bool CarriesPaidToken(string? authorization)
    {
        if (PaymentCredential.IsPayment(authorization))
        {
            // The id's HMAC and the preimage: a credential only the payer of one of our invoices can hold.
            return PaymentCredential.TryParse(authorization, out var payment, out _) && charge.Verify(payment!, []) is { Failure: MppFailure.None or MppFailure.RequestMismatch };
        }

        var parsed = L402Credential.Parse(authorization);
        if (!parsed.Success)
        {
            return false;
        }

        var issuer = verifier.VerifyIssuer(parsed.Credential!.Macaroon);
        return issuer.Success && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Security.Cryptography.SHA256.HashData(parsed.Credential.Preimage), issuer.Identifier!.PaymentHash);
    }

    /// <summary>
    /// Redeems <paramref name="authorization"/> (an Authorization header value) for <paramref name="request"/>;
    /// <paramref name="baseUrl"/> is where a new job's callback deliveries point their links.
    /// </summary>
    public async Task<Redemption> RedeemAsync(string? authorization, AnimateRequest request, CancellationToken cancellationToken, string? baseUrl = null)
    {
        var mpp = PaymentCredential.IsPayment(authorization);
        var redemption = mpp ? await DecidePaymentAsync(authorization!, request, baseUrl, cancellationToken) : await DecideAsync(authorization, request, baseUrl, cancellationToken);
        if (redemption.Refusal?.ErrorCode != "PAYMENT_REQUIRED")
        {
            // Only presented credentials count; a request without one is a challenge (counted where it is issued).
            SatsMotionMetrics.Redemptions.WithLabels(redemption.Refusal?.ErrorCode ?? redemption.Outcome, mpp ? "mpp" : "l402").Inc();
        }

        if (redemption.Outcome == "new_job")
        {
            SatsMotionMetrics.InvoicesSettled.WithLabels(request.Model.Descriptor.Slug).Inc();
            SatsMotionMetrics.SatsEarned.WithLabels(request.Model.Descriptor.Slug).Inc(request.PriceSats);
        }

        return redemption;
    }

    private async Task<Redemption> DecideAsync(string? authorization, AnimateRequest request, string? baseUrl, CancellationToken cancellationToken)
    {
        var parsed = L402Credential.Parse(authorization ?? "");
        if (parsed.Failure is L402Failure.MissingCredential or L402Failure.UnsupportedScheme)
        {
            return Redemption.Refused(PaymentRequired(request));
        }

        var verification = parsed.Success ? verifier.Verify(parsed.Credential!, ChallengeIssuer.Service, request.RequestHash) : null;
        var failure = verification?.Failure ?? parsed.Failure;
        if (failure != L402Failure.None)
        {
            var reason = verification?.Reason ?? parsed.Reason!;
            log.LogInformation("Refused L402 credential: {Failure} ({Reason})", failure, reason);
            return Redemption.Refused(CredentialError(failure, reason));
        }

        var identifier = verification!.Identifier!;
        return await RedeemPaidAsync(new PaidCredential("l402", identifier.TokenIdHex, identifier.PaymentHash, null), request, baseUrl, cancellationToken);
    }

    // The Payment scheme (draft-httpauth-payment, Lightning charge): the same rule, its own refusals and a receipt.
    private async Task<Redemption> DecidePaymentAsync(string authorization, AnimateRequest request, string? baseUrl, CancellationToken cancellationToken)
    {
        if (!PaymentCredential.TryParse(authorization, out var credential, out var malformed))
        {
            return Redemption.Refused(MppError(MppFailure.MalformedCredential, malformed!), problemType: "malformed-credential");
        }

        var verification = charge.Verify(credential!, request.RequestHash);
        if (!verification.Success)
        {
            log.LogInformation("Refused Payment credential: {Failure} ({Reason})", verification.Failure, verification.Reason);
            return Redemption.Refused(MppError(verification.Failure, verification.Reason!), problemType: ProblemType(verification.Failure));
        }

        var payment = verification.Payment!;
        return await RedeemPaidAsync(new PaidCredential("mpp", Convert.ToHexStringLower(payment.TokenId), payment.PaymentHash, credential!.Challenge), request, baseUrl, cancellationToken);
    }

    private async Task<Redemption> RedeemPaidAsync(PaidCredential paid, AnimateRequest request, string? baseUrl, CancellationToken cancellationToken)
    {
        if (await revocations.IsRevokedAsync(paid.TokenIdHex, cancellationToken))
        {
            return paid.Challenge is null
                ? Redemption.Refused(new ApiError(StatusCodes.Status401Unauthorized, "L402_TOKEN_REVOKED", "this token was revoked by the operator",
                    Hint: $"contact the operator of this server; {FreshChallenge}"))
                : Redemption.Refused(new ApiError(StatusCodes.Status403Forbidden, "PAYMENT_REVOKED", "the operator revoked what this payment bought",
                    Hint: "contact the operator of this server"), withChallenge: false);
        }

        // A token that has its job gets it back without asking the node: replays work while the node is away.
        var job = await store.FindByTokenAsync(paid.TokenIdHex, cancellationToken);
        var paymentHashHex = Convert.ToHexStringLower(paid.PaymentHash);
        var created = false;
        var outcome = "replay";
        if (job is null)
        {
            var unsettled = await CheckSettlementAsync(paid, request, cancellationToken);
            if (unsettled is not null)
            {
                return Refused(unsettled, paid.Challenge);
            }

            (job, created) = await store.CreateOnceAsync(new NewJob(paid.TokenIdHex, paymentHashHex, Convert.ToHexStringLower(request.RequestHash),
                request.Model.Descriptor.Slug, request.DurationSeconds, request.Prompt, request.PriceSats, request.CallbackUrl, request.CallbackId, baseUrl), request.Image, cancellationToken);
            outcome = created ? "new_job" : "replay";
        }

        if (created)
        {
            log.LogInformation("Job {JobId} paid by token {TokenId} ({Price} sats, {Scheme})", job.Id, paid.TokenIdHex, job.PriceSats, paid.Scheme);
        }
        else if (job.Status == JobStatus.FAILED)
        {
            // A retry and a refund exclude each other: retrying withdraws an unclaimed refund; a claimed one ends the token.
            var retry = await store.RetryFailedAsync(job.Id, request.Image, cancellationToken);
            if (retry == RetryOutcome.RefundClaimed)
            {
                return Redemption.Refused(new ApiError(StatusCodes.Status409Conflict, "REFUND_CLAIMED", "this job failed and its refund was claimed",
                    Hint: "the token can no longer retry it; pay for a new request to try again"), withChallenge: false);
            }

            created = retry == RetryOutcome.Retried;
            outcome = created ? "retry" : outcome;
        }

        if (created)
        {
            await queue.EnqueueAsync(job.Id);
        }

        // The receipt names the payment (its hash), never the preimage.
        var receipt = paid.Challenge is null ? null : new PaymentReceipt(LightningCharge.Method, time.GetUtcNow(), paymentHashHex, paid.Challenge.Id);
        return new Redemption(job, null, false, outcome, Receipt: receipt);
    }

    /// <summary>
    /// An invoice not (fully) settled: for L402 the refusal alone, as before. The Payment scheme never answers 402 without
    /// a Payment challenge (draft-httpauth-payment): an invoice not settled yet gets its credential's own challenge back,
    /// whose invoice is the one to pay (a fresh invoice would invite a second payment while the first is in flight), and
    /// one settled for less than the price a fresh challenge, as its hint says.
    /// </summary>
    private static Redemption Refused(ApiError unsettled, PaymentChallenge? echoed) => echoed switch
    {
        null => Redemption.Refused(unsettled, withChallenge: false),
        _ when unsettled.ErrorCode == "PAYMENT_INSUFFICIENT" => Redemption.Refused(unsettled, problemType: "payment-insufficient"),
        // Only what the id's HMAC binds goes back: our challenges carry no description, and a caller's would be echoed unchecked.
        _ => Redemption.Refused(unsettled, withChallenge: false, problemType: "verification-failed") with { Echoed = echoed with { Description = null } },
    };

    /// <summary>Null when the invoice is paid in full (or settlement checks are off), else the refusal to send.</summary>
    private async Task<ApiError?> CheckSettlementAsync(PaidCredential paid, AnimateRequest request, CancellationToken cancellationToken)
    {
        var (paymentHash, priceSats) = (paid.PaymentHash, request.PriceSats);
        if (!(options.Value.VerifySettlement ?? !lightning.IsDevelopment))
        {
            return null;
        }

        var status = await lightning.LookupInvoiceAsync(paymentHash, cancellationToken);
        if (status.State != InvoiceState.Settled)
        {
            return new ApiError(StatusCodes.Status402PaymentRequired, "PAYMENT_NOT_SETTLED", $"the invoice for this token is {status.State.ToString().ToLowerInvariant()}, not settled",
                Hint: "wait for your payment to complete, then send the same request again");
        }

        // A node that does not report the amount: the invoice was made for the price, and cannot settle for less.
        if (status.AmountReceivedMsat is { } received && received < priceSats * 1000)
        {
            log.LogWarning("Invoice {PaymentHash} settled for {Received} msat, below the price of {Price} sats", Convert.ToHexStringLower(paymentHash), received, priceSats);
            await underpaid.RecordAsync(Convert.ToHexStringLower(paymentHash), paid.TokenIdHex, request.Model.Descriptor.Slug, priceSats, received, cancellationToken);
            return new ApiError(StatusCodes.Status402PaymentRequired, "PAYMENT_INSUFFICIENT", $"the invoice was settled for {received / 1000} sats, less than the price of {priceSats} sats",
                Hint: "ask for a new challenge and pay its invoice in full");
        }

        return null;
    }

    // The Payment scheme's refusals: 402 with a fresh challenge, but a method this server does not take, which is 400.
    private static ApiError MppError(MppFailure failure, string reason) => failure switch
    {
        MppFailure.MethodUnsupported => new(StatusCodes.Status400BadRequest, "MPP_METHOD_UNSUPPORTED", reason, Hint: $"pay with method \"lightning\", intent \"charge\"; {FreshChallenge}"),
        MppFailure.MalformedCredential => new(StatusCodes.Status402PaymentRequired, "MPP_MALFORMED_CREDENTIAL", reason,
            Hint: $"send 'Authorization: Payment <base64url of {{challenge, payload: {{preimage}}}}>'; {FreshChallenge}"),
        MppFailure.InvalidChallenge => new(StatusCodes.Status402PaymentRequired, "MPP_INVALID_CHALLENGE", reason, Hint: $"echo the Payment challenge exactly as received; {FreshChallenge}"),
        MppFailure.Expired => new(StatusCodes.Status402PaymentRequired, "MPP_CHALLENGE_EXPIRED", reason,
            Hint: $"if you paid, redeem with the L402 credential of the same 402 (macaroon and preimage), which stays valid for days; {FreshChallenge}"),
        MppFailure.InvalidPreimage => new(StatusCodes.Status402PaymentRequired, "MPP_INVALID_PREIMAGE", reason, Hint: $"send the preimage of the challenge's invoice; {FreshChallenge}"),
        _ => new(StatusCodes.Status402PaymentRequired, "MPP_REQUEST_MISMATCH", reason,
            Hint: $"a payment pays for exactly the request it was issued for: send that request again, or pay for this one ({FreshChallenge})"),
    };

    private static string ProblemType(MppFailure failure) => failure switch
    {
        MppFailure.MethodUnsupported => "method-unsupported",
        MppFailure.MalformedCredential => "lightning/malformed-credential",
        MppFailure.InvalidChallenge => "invalid-challenge",
        MppFailure.Expired => "payment-expired",
        MppFailure.InvalidPreimage => "lightning/invalid-preimage",
        _ => "verification-failed",
    };

    private static ApiError CredentialError(L402Failure failure, string reason) => failure switch
    {
        L402Failure.RequestMismatch => new(StatusCodes.Status402PaymentRequired, "L402_REQUEST_MISMATCH", reason,
            Hint: $"a token pays for exactly the request it was issued for: send that request again, or pay for this one ({FreshChallenge})"),
        L402Failure.MalformedCredential => new(StatusCodes.Status401Unauthorized, "L402_MALFORMED_CREDENTIAL", reason, Hint: $"use 'Authorization: L402 <macaroon>:<preimage hex>'; {FreshChallenge}"),
        L402Failure.MalformedPreimage => new(StatusCodes.Status401Unauthorized, "L402_MALFORMED_PREIMAGE", reason, Hint: $"the preimage is the 64 hex characters your wallet returned after paying; {FreshChallenge}"),
        L402Failure.MalformedMacaroon or L402Failure.InvalidIdentifier => new(StatusCodes.Status401Unauthorized, "L402_MALFORMED_MACAROON", reason, Hint: $"send the macaroon exactly as received in the challenge; {FreshChallenge}"),
        L402Failure.PreimageMismatch => new(StatusCodes.Status401Unauthorized, "L402_INVALID_PREIMAGE", reason, Hint: $"send the preimage of the invoice that came with this macaroon; {FreshChallenge}"),
        L402Failure.TokenExpired => new(StatusCodes.Status401Unauthorized, "L402_TOKEN_EXPIRED", reason, Hint: $"the token can no longer be redeemed; a job it already paid for stays at its poll_url; {FreshChallenge}"),
        _ => new(StatusCodes.Status401Unauthorized, "L402_INVALID_TOKEN", reason, Hint: $"this macaroon was not issued by this server or was altered; {FreshChallenge}"),
    };
}
