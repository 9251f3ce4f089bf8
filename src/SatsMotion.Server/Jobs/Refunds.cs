using Microsoft.Extensions.Options;
using SatsMotion.Lightning;
using SatsMotion.Lightning.Bolt11;
using SatsMotion.Server.Configuration;
using SatsMotion.Server.Hardening;
using SatsMotion.Server.Storage;

namespace SatsMotion.Server.Jobs;

/// <summary>
/// Refunds of FAILED jobs, when the operator enables them: exactly the price, claimed once through LNURL-withdraw
/// (LUD-03) and paid by the Lightning backend within a fee limit. With the dev node a claim is recorded and no
/// money moves. A payment whose outcome is unknown stays claimed (never paid twice) and is logged for the operator.
/// </summary>
public sealed class Refunds(RefundStore store, ILightningBackend lightning, IOptions<SatsMotionOptions> options, TimeProvider time, ILogger<Refunds> log)
{
    public bool Enabled => options.Value.Refunds;

    public async Task OfferAsync(Job job, CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            return;
        }

        if (await store.OfferAsync(job.Id, job.PriceSats * 1000, options.Value.RefundLifetime, cancellationToken) is { } refund)
        {
            log.LogInformation("Job {JobId}: refund of {Amount} sats offered until {Expires:O}", job.Id, refund.AmountMsat / 1000, refund.ExpiresAt);
        }
    }

    /// <summary>Pays <paramref name="paymentRequest"/> for the refund <paramref name="k1"/>; null when paid, else why not (for the wallet).</summary>
    public async Task<string?> ClaimAsync(string k1, string paymentRequest, CancellationToken cancellationToken)
    {
        var refund = await store.FindByK1Async(k1, cancellationToken);
        if (refund is null || refund.Status is RefundStatus.Withdrawn)
        {
            return "no such refund";
        }

        if (refund.Status != RefundStatus.Available)
        {
            return $"this refund is {(refund.Status == RefundStatus.Expired ? "expired" : "already claimed")}";
        }

        if (!Bolt11Codec.TryDecode(paymentRequest, out var invoice, out var error))
        {
            return $"the invoice is not valid: {error}";
        }

        if (invoice!.AmountMsat != refund.AmountMsat)
        {
            return $"the invoice must be for exactly {refund.AmountMsat} msat";
        }

        if (invoice.ExpiresAt <= time.GetUtcNow())
        {
            return "the invoice has expired";
        }

        if (!await store.BeginClaimAsync(k1, paymentRequest, cancellationToken))
        {
            return "this refund was claimed or withdrawn meanwhile";
        }

        if (lightning.IsDevelopment)
        {
            await store.CompleteClaimAsync(k1, CancellationToken.None);
            SatsMotionMetrics.RefundsPaid.Inc();
            log.LogWarning("Job {JobId}: refund of {Amount} sats claimed; DEV NODE: recorded, no money moved", refund.JobId, refund.AmountMsat / 1000);
            return null;
        }

        try
        {
            var paid = await lightning.PayInvoiceAsync(paymentRequest, options.Value.RefundMaxFeeSats, CancellationToken.None);
            await store.CompleteClaimAsync(k1, CancellationToken.None);
            SatsMotionMetrics.RefundsPaid.Inc();
            log.LogInformation("Job {JobId}: refund of {Amount} sats paid ({Fee} msat in fees)", refund.JobId, refund.AmountMsat / 1000, paid.FeePaidMsat);
            return null;
        }
        catch (LightningBackendException e) when (e.Failure is LightningFailure.PaymentFailed or LightningFailure.NotPermitted or LightningFailure.Refused)
        {
            await store.ReleaseClaimAsync(k1, CancellationToken.None);
            log.LogWarning("Job {JobId}: refund payment failed, offered again: {Message}", refund.JobId, e.Message);
            return e.Failure == LightningFailure.PaymentFailed ? "the payment failed; try again with another invoice" : "this server cannot pay refunds right now";
        }
        catch (LightningBackendException e)
        {
            log.LogError("Job {JobId}: refund payment outcome UNKNOWN ({Failure}: {Message}); check the node for {Invoice} before paying by hand",
                refund.JobId, e.Failure, e.Message, invoice.PaymentHashHex);
            return "the payment's outcome is not known yet; the operator will check it";
        }
    }
}
