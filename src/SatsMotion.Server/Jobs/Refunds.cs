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
/// money moves. A payment whose outcome is unknown stays claiming (never paid twice) until
/// <see cref="RefundReconciler"/> learns from the node how it ended.
/// </summary>
public sealed class Refunds(RefundStore store, ILightningBackend lightning, IOptions<SatsMotionOptions> options, TimeProvider time, ILogger<Refunds> log)
{
    // How many claim calls of each k1 are running in this process: the reconciler leaves those to them.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _paying = new();

    public bool Enabled => options.Value.Refunds;

    /// <summary>True while this process is paying the refund <paramref name="k1"/>.</summary>
    public bool IsPaying(string k1) => _paying.TryGetValue(k1, out var calls) && calls > 0;

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

    /// <summary>
    /// The refund of a FAILED job as a reader should show it: the runner offers it right after recording the failure,
    /// and a reader that comes between would show a failure without its refund (and a stream or a paid answer does not
    /// read again), so it is offered here first if it is not yet (a no-op once it is).
    /// </summary>
    public async Task<Refund?> OfFailedJobAsync(Job job, CancellationToken cancellationToken)
    {
        await OfferAsync(job, cancellationToken);
        return await store.FindByJobAsync(job.Id, cancellationToken);
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

        _paying.AddOrUpdate(k1, 1, (_, calls) => calls + 1);
        try
        {
            switch (await store.BeginClaimAsync(k1, paymentRequest, invoice.PaymentHashHex, cancellationToken))
            {
                case ClaimStart.NotAvailable:
                    return "this refund was claimed or withdrawn meanwhile";
                case ClaimStart.InvoiceInUse:
                    // Its node would answer "already paid" with the other refund's payment: nothing would reach this caller.
                    return "this invoice was already given for another refund; send a new invoice";
            }

            if (lightning.IsDevelopment)
            {
                await store.CompleteClaimAsync(k1, paymentRequest, CancellationToken.None);
                SatsMotionMetrics.RefundsPaid.Inc();
                log.LogWarning("Job {JobId}: refund of {Amount} sats claimed; DEV NODE: recorded, no money moved", refund.JobId, refund.AmountMsat / 1000);
                return null;
            }

            return await PayAsync(refund, paymentRequest, invoice.PaymentHashHex);
        }
        finally
        {
            if (_paying.AddOrUpdate(k1, 0, (_, calls) => calls - 1) == 0)
            {
                _paying.TryRemove(new KeyValuePair<string, int>(k1, 0));
            }
        }
    }

    private async Task<string?> PayAsync(Refund refund, string paymentRequest, string paymentHash)
    {
        try
        {
            // Not the caller's request token: a wallet that hangs up must not cut a payment short.
            var paid = await lightning.PayInvoiceAsync(paymentRequest, options.Value.RefundMaxFeeSats, CancellationToken.None);
            await store.CompleteClaimAsync(refund.K1, paymentRequest, CancellationToken.None);
            SatsMotionMetrics.RefundsPaid.Inc();
            log.LogInformation("Job {JobId}: refund of {Amount} sats paid ({Fee} msat in fees)", refund.JobId, refund.AmountMsat / 1000, paid.FeePaidMsat);
            return null;
        }
        catch (LightningBackendException e) when (e.Failure is LightningFailure.PaymentFailed or LightningFailure.NotPermitted or LightningFailure.Refused)
        {
            await store.ReleaseClaimAsync(refund.K1, paymentRequest, CancellationToken.None);
            log.LogWarning("Job {JobId}: refund payment failed, offered again: {Message}", refund.JobId, e.Message);
            return e.Failure == LightningFailure.PaymentFailed ? "the payment failed; try again with another invoice" : "this server cannot pay refunds right now";
        }
        catch (LightningBackendException e)
        {
            // In flight, the node away or an answer we cannot trust: whether money moved is for the node to say.
            log.LogWarning("Job {JobId}: refund payment {PaymentHash} outcome not known yet ({Failure}: {Message}); it is looked up at the node until it is",
                refund.JobId, paymentHash, e.Failure, e.Message);
            return "the payment's outcome is not known yet; it is being checked with the node, do not claim again";
        }
    }
}
