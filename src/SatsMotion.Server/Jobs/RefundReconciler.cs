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
            if (MayStillBePaying(claim))
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

    /// <summary>
    /// True while a pay-out call for this claim may still be running — this process's own, or on a database other
    /// servers share, one started less than a pay-out's whole budget ago: nothing may decide the claim yet.
    /// </summary>
    public bool MayStillBePaying(Refund claim) => refunds.IsPaying(claim.K1) || (database.SharedByServers && claim.ClaimedAt > Time.GetUtcNow() - SharedMargin);

    /// <summary>
    /// Records the claim paid; false when something else decided it first (the UPDATE names the claim's invoice and
    /// wants it still claiming). The operator's console records its decisions here too.
    /// </summary>
    public async Task<bool> RecordPaidAsync(Refund claim, CancellationToken cancellationToken)
    {
        if (!await store.CompleteClaimAsync(claim.K1, claim.PaymentRequest!, cancellationToken))
        {
            return false;
        }

        SatsMotionMetrics.RefundsPaid.Inc();
        SatsMotionMetrics.RefundsReconciled.WithLabels("claimed").Inc();
        return true;
    }

    /// <summary>
    /// Offers the refund again (nothing was paid), for at least <paramref name="offeredFor"/> from now when given; false
    /// when something else decided the claim first.
    /// </summary>
    public async Task<bool> RecordFailedAsync(Refund claim, CancellationToken cancellationToken, TimeSpan? offeredFor = null)
    {
        if (!await store.ReleaseClaimAsync(claim.K1, claim.PaymentRequest!, cancellationToken, Time.GetUtcNow() + offeredFor))
        {
            return false;
        }

        SatsMotionMetrics.RefundsReconciled.WithLabels("released").Inc();
        return true;
    }

    private async Task<bool> ResolveAsync(Refund claim, CancellationToken cancellationToken)
    {
        var hash = Bolt11Codec.Decode(claim.PaymentRequest!).PaymentHash;
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
            case PaymentState.Succeeded when await RecordPaidAsync(claim, cancellationToken):
                Logger.LogInformation("Job {JobId}: refund payment {PaymentHash} went through ({Fee} msat in fees): claimed", claim.JobId, Convert.ToHexStringLower(hash), payment.FeePaidMsat);
                return true;
            case PaymentState.Failed or PaymentState.NotFound when await RecordFailedAsync(claim, cancellationToken):
                Logger.LogInformation("Job {JobId}: refund payment {PaymentHash} {Outcome}: the refund can be claimed again", claim.JobId, Convert.ToHexStringLower(hash),
                    payment.State == PaymentState.Failed ? "failed" : "never reached the node");
                return true;
            case PaymentState.InFlight:
                Logger.LogWarning("Job {JobId}: refund payment {PaymentHash} is still in flight at the node", claim.JobId, Convert.ToHexStringLower(hash));
                return false;
            case PaymentState.Unknown:
                Logger.LogWarning("Job {JobId}: refund payment {PaymentHash} is unresolved: the node's answer does not say whether it was paid; check the wallet, it is asked again (or resolve it in the console)",
                    claim.JobId, Convert.ToHexStringLower(hash));
                return false;
            default:
                return true; // another server resolved it meanwhile
        }
    }
}
