using Microsoft.Data.Sqlite;
using SatsMotion.Server.Jobs;
using SatsMotion.Server.Storage;
using SatsMotion.Server.Storage.Local;
using SatsMotion.Server.Storage.Sqlite;

namespace SatsMotion.Server.Tests;

/// <summary>
/// A FAILED job's paid retry and its refund exclude each other at the store, whichever comes first: a refund is
/// offered only while the job is FAILED, a retry withdraws an unclaimed one, a claimed one stops the retry, and a
/// retried job that fails again is offered its refund again (PostgreSQL runs the same SQL, raced, in ClusterTests).
/// </summary>
public sealed class RetryAndRefundTests : IDisposable
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);
    private readonly string _directory = Directory.CreateTempSubdirectory("refunds-").FullName;
    private readonly JobStore _jobs;
    private readonly RefundStore _refunds;

    public RetryAndRefundTests()
    {
        var data = new DataDirectory(_directory);
        var database = new SqliteDatabase(data.Database);
        _jobs = new JobStore(database, new LocalBlobStore(data), TimeProvider.System);
        _refunds = new RefundStore(database, TimeProvider.System);
    }

    // A payment hash (hex) of some wallet's invoice, and that invoice as the store keeps it.
    private static readonly string Hash = new('a', 64);
    private const string Invoice = "lnbcrt1";

    private async Task<Job> FailedJobAsync(Job? again = null, string token = "token")
    {
        var job = again ?? (await _jobs.CreateOnceAsync(new NewJob(token, "hash", "request", "motion", 3, "zoom", 300), new byte[] { 1 }, CancellationToken.None)).Job;
        var claimed = (await _jobs.ClaimNextAsync("w", TimeSpan.FromMinutes(1), CancellationToken.None))!;
        Assert.Equal(job.Id, claimed.Id);
        Assert.True(await _jobs.RecordFailureAsync(job.Id, "w", "PROVIDER_FAILED", "refused", retry: false, CancellationToken.None));
        return job;
    }

    private Task<Refund?> OfferAsync(Job job) => _refunds.OfferAsync(job.Id, job.PriceSats * 1000, Lifetime, CancellationToken.None);

    [Fact]
    public async Task A_refund_is_offered_once_per_failure()
    {
        var job = await FailedJobAsync();
        var first = await OfferAsync(job);
        var second = await OfferAsync(job);
        Assert.Equal((RefundStatus.Available, 300_000L), (first!.Status, first.AmountMsat));
        Assert.Equal(first.K1, second!.K1);
    }

    [Fact]
    public async Task A_retry_that_came_first_leaves_nothing_to_offer()
    {
        var job = await FailedJobAsync();
        Assert.Equal(RetryOutcome.Retried, await _jobs.RetryFailedAsync(job.Id, new byte[] { 1 }, CancellationToken.None));

        Assert.Null(await OfferAsync(job));
        Assert.Null(await _refunds.FindByJobAsync(job.Id, CancellationToken.None));
    }

    [Fact]
    public async Task A_retry_withdraws_the_refund_and_a_second_failure_offers_it_again_under_a_new_secret()
    {
        var job = await FailedJobAsync();
        var withdrawn = (await OfferAsync(job))!;
        Assert.Equal(RetryOutcome.Retried, await _jobs.RetryFailedAsync(job.Id, new byte[] { 1 }, CancellationToken.None));
        Assert.Equal(RefundStatus.Withdrawn, (await _refunds.FindByJobAsync(job.Id, CancellationToken.None))!.Status);
        Assert.Equal(RetryOutcome.NotFailed, await _jobs.RetryFailedAsync(job.Id, new byte[] { 1 }, CancellationToken.None));

        await FailedJobAsync(job);
        var offered = (await OfferAsync(job))!;
        Assert.Equal(RefundStatus.Available, offered.Status);
        Assert.NotEqual(withdrawn.K1, offered.K1);
        Assert.Equal(ClaimStart.NotAvailable, await _refunds.BeginClaimAsync(withdrawn.K1, Invoice, Hash, CancellationToken.None));
        Assert.Equal(ClaimStart.Started, await _refunds.BeginClaimAsync(offered.K1, Invoice, Hash, CancellationToken.None));
    }

    [Fact]
    public async Task A_claimed_refund_stops_the_retry_and_the_job_stays_failed()
    {
        var job = await FailedJobAsync();
        var refund = (await OfferAsync(job))!;
        Assert.Equal(ClaimStart.Started, await _refunds.BeginClaimAsync(refund.K1, Invoice, Hash, CancellationToken.None));

        Assert.Equal(RetryOutcome.RefundClaimed, await _jobs.RetryFailedAsync(job.Id, new byte[] { 1 }, CancellationToken.None));
        Assert.Equal(JobStatus.FAILED, (await _jobs.FindAsync(job.Id, CancellationToken.None))!.Status);
        Assert.Equal(RefundStatus.Claiming, (await _refunds.FindByJobAsync(job.Id, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task An_invoice_another_refund_holds_cannot_claim_a_second_one_until_that_claim_is_released()
    {
        var first = (await OfferAsync(await FailedJobAsync(token: "first")))!;
        var second = (await OfferAsync(await FailedJobAsync(token: "second")))!;
        Assert.Equal(ClaimStart.Started, await _refunds.BeginClaimAsync(first.K1, Invoice, Hash, CancellationToken.None));

        // Another invoice string of the same payment hash (a wallet may sign one hash twice), in either case.
        Assert.Equal(ClaimStart.InvoiceInUse, await _refunds.BeginClaimAsync(second.K1, "lnbcrt2", Hash.ToUpperInvariant(), CancellationToken.None));
        Assert.Equal(RefundStatus.Available, (await _refunds.FindByK1Async(second.K1, CancellationToken.None))!.Status);

        // Paid: the hash stays taken. A claim whose payment surely failed gives it back.
        Assert.True(await _refunds.CompleteClaimAsync(first.K1, Invoice, CancellationToken.None));
        Assert.Equal(ClaimStart.InvoiceInUse, await _refunds.BeginClaimAsync(second.K1, Invoice, Hash, CancellationToken.None));
        var third = (await OfferAsync(await FailedJobAsync(token: "third")))!;
        var other = new string('b', 64);
        Assert.Equal(ClaimStart.Started, await _refunds.BeginClaimAsync(third.K1, Invoice, other, CancellationToken.None));
        Assert.True(await _refunds.ReleaseClaimAsync(third.K1, Invoice, CancellationToken.None));
        Assert.Equal(ClaimStart.Started, await _refunds.BeginClaimAsync(second.K1, Invoice, other, CancellationToken.None));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, true);
    }
}
