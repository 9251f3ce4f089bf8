using Microsoft.Extensions.Options;
using SatsMotion.Lightning;
using SatsMotion.Lightning.Bolt11;
using SatsMotion.Lightning.Http;
using SatsMotion.Server.Configuration;
using SatsMotion.Server.Hardening;
using SatsMotion.Server.Storage;

namespace SatsMotion.Server.Jobs;

/// <summary>
/// Resolves refund claims whose pay-out outcome is unknown — its call ran out of time, the node was away, its answer
/// could not be read, or the server died during it — by asking the node about the outgoing payment by its hash: paid
/// is claimed, surely failed (or never started) is available again, anything else is left for the next pass. It never
/// pays. A claim is looked at only once no pay-out call for it can still be running: not one of this process's, and
/// on a database other servers share, older than a pay-out's whole budget.
/// </summary>
public sealed class RefundReconciler(RefundStore store, Refunds refunds, ILightningBackend lightning, Database database, IOptions<SatsMotionOptions> options, TimeProvider time,
    ILogger<RefundReconciler> logger) : PeriodicHousekeeping(options.Value.RefundReconcileInterval, time, logger)
{
    // A pay-out call started just before another server read the claim may still be on its way to the node.
    private static readonly TimeSpan SharedMargin = NodeHttp.PayoutTimeout + TimeSpan.FromSeconds(30);

    protected override string PassName => "Checking refund pay-outs of unknown outcome";

    protected override Task RunPassAsync(CancellationToken cancellationToken) => ReconcileAsync(cancellationToken);

    /// <summary>One pass; returns how many claims are still unresolved.</summary>
    public async Task<int> ReconcileAsync(CancellationToken cancellationToken)
    {
        if (lightning.IsDevelopment)
        {
            return 0; // the dev node records claims at once and never pays
        }

        var unresolved = 0;
        foreach (var claim in await store.ListClaimingAsync(cancellationToken))
        {
            if (refunds.IsPaying(claim.K1) || (database.SharedByServers && claim.ClaimedAt > Time.GetUtcNow() - SharedMargin))
            {
                continue;
            }

            if (!await ResolveAsync(claim, cancellationToken))
            {
                unresolved++;
            }
        }

        SatsMotionMetrics.RefundsUnresolved.Set(unresolved);
        return unresolved;
    }

    private async Task<bool> ResolveAsync(Refund claim, CancellationToken cancellationToken)
    {
        var invoice = claim.PaymentRequest!;
        var hash = Bolt11Codec.Decode(invoice).PaymentHash;
        OutgoingPayment payment;
        try
        {
            payment = await lightning.LookupPaymentAsync(hash, cancellationToken);
        }
        catch (LightningBackendException e)
        {
            Logger.LogWarning("Job {JobId}: refund payment {PaymentHash} still unresolved: the node cannot say ({Failure}: {Message})", claim.JobId, Convert.ToHexStringLower(hash), e.Failure, e.Message);
            return false;
        }

        switch (payment.State)
        {
            case PaymentState.Succeeded when await store.CompleteClaimAsync(claim.K1, invoice, cancellationToken):
                SatsMotionMetrics.RefundsPaid.Inc();
                SatsMotionMetrics.RefundsReconciled.WithLabels("claimed").Inc();
                Logger.LogInformation("Job {JobId}: refund payment {PaymentHash} went through ({Fee} msat in fees): claimed", claim.JobId, Convert.ToHexStringLower(hash), payment.FeePaidMsat);
                return true;
            case PaymentState.Failed or PaymentState.NotFound when await store.ReleaseClaimAsync(claim.K1, invoice, cancellationToken):
                SatsMotionMetrics.RefundsReconciled.WithLabels("released").Inc();
                Logger.LogInformation("Job {JobId}: refund payment {PaymentHash} {Outcome}: the refund can be claimed again", claim.JobId, Convert.ToHexStringLower(hash),
                    payment.State == PaymentState.Failed ? "failed" : "never reached the node");
                return true;
            case PaymentState.InFlight:
                Logger.LogWarning("Job {JobId}: refund payment {PaymentHash} is still in flight at the node", claim.JobId, Convert.ToHexStringLower(hash));
                return false;
            case PaymentState.Unknown:
                Logger.LogWarning("Job {JobId}: refund payment {PaymentHash} is unresolved: the node's answer does not say whether it was paid; check the wallet, it is asked again",
                    claim.JobId, Convert.ToHexStringLower(hash));
                return false;
            default:
                return true; // another server resolved it meanwhile
        }
    }
}
