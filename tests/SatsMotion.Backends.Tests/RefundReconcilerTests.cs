using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Backends.Tests.Lnd;
using SatsMotion.Lightning;
using SatsMotion.Lightning.Bolt11;
using SatsMotion.Server.Jobs;
using SatsMotion.Server.Storage;
using SatsMotion.Server.Tests;

namespace SatsMotion.Backends.Tests;

/// <summary>
/// Tests that read the process's Prometheus registry (prometheus-net's is static): they run after every other
/// collection and alone, so no other server's reconciler sets the gauge meanwhile.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessMetricsCollection
{
    public const string Name = "process-wide metrics";
}

/// <summary>
/// The reconciler's two guards, against LND's fake (any backend's lookup throws the same way): a claim the node
/// cannot say anything about is left as it is, counted in satsmotion_refund_payouts_unresolved, and resolved by a
/// later pass; and a claim this server is still paying is not looked at, since its node may not know of it yet.
/// </summary>
[Collection(ProcessMetricsCollection.Name)]
public sealed class RefundReconcilerTests : IAsyncLifetime
{
    private readonly FakeLndNode _node = new();

    private string Connection => $"type=lnd-rest;server={_node.Address};macaroon={FakeLndNode.AdminMacaroon};certthumbprint={_node.CertificateThumbprint}";

    public Task InitializeAsync() => _node.StartAsync();

    public async Task DisposeAsync() => await _node.DisposeAsync();

    private static async Task<long> UnresolvedGaugeAsync(HttpClient http)
    {
        var metrics = await http.GetStringAsync("/metrics");
        var line = metrics.Split('\n').Single(l => l.StartsWith("satsmotion_refund_payouts_unresolved ", StringComparison.Ordinal));
        return long.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
    }

    [Theory]
    [InlineData(NodeMode.Down)] // the lookup throws Unavailable
    [InlineData(NodeMode.Garbled)] // an answer that cannot be read: Misbehaved
    public async Task A_claim_the_node_cannot_say_anything_about_is_left_alone_counted_and_resolved_once_it_answers(NodeMode mode)
    {
        using var host = new TestHost(settings: BackendScenarios<FakeLndNode>.RefundSettingsFor(Connection));
        var http = host.CreateClient();
        var (_, withdraw) = await BackendScenarios<FakeLndNode>.FailedPaidJobAsync(http, _node, duration: 3);

        // The node paid the refund; the server that claimed it never learnt so (its call was cut short).
        var invoice = FakeNode.RemoteInvoice(300);
        await host.Services.GetRequiredService<ILightningBackend>().PayInvoiceAsync(invoice, null, CancellationToken.None);
        Assert.Equal(ClaimStart.Started, await host.Services.GetRequiredService<RefundStore>()
            .BeginClaimAsync(withdraw["k1"]!.GetValue<string>(), invoice, Bolt11Codec.Decode(invoice).PaymentHashHex, CancellationToken.None));

        _node.Mode = mode;
        var reconciler = host.Services.GetRequiredService<RefundReconciler>();
        Assert.Equal(1, await reconciler.ReconcileAsync(CancellationToken.None));
        Assert.Equal(RefundStatus.Claiming, await BackendScenarios<FakeLndNode>.StoredStatusAsync(host, withdraw));
        Assert.Equal(1, await UnresolvedGaugeAsync(http));

        _node.Mode = NodeMode.Normal;
        Assert.Equal(0, await reconciler.ReconcileAsync(CancellationToken.None));
        Assert.Equal(RefundStatus.Claimed, await BackendScenarios<FakeLndNode>.StoredStatusAsync(host, withdraw));
        Assert.Equal(0, await UnresolvedGaugeAsync(http));
        Assert.Equal([invoice], _node.PaidOut);
    }

    [Fact]
    public async Task A_claim_this_server_is_still_paying_is_not_reconciled_while_its_node_has_no_record_of_it()
    {
        using var host = new TestHost(settings: BackendScenarios<FakeLndNode>.RefundSettingsFor(Connection));
        var http = host.CreateClient();
        var (_, withdraw) = await BackendScenarios<FakeLndNode>.FailedPaidJobAsync(http, _node, duration: 3);
        _node.PayoutArrival = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var invoice = FakeNode.RemoteInvoice(300);
        var claim = BackendScenarios<FakeLndNode>.ClaimAsync(http, withdraw, invoice);
        bool Sent()
        {
            lock (_node.Requests)
            {
                return _node.Requests.Contains("POST /v2/router/send");
            }
        }

        await BackendScenarios<FakeLndNode>.WaitUntilAsync(Sent, "the pay-out is on its way to the node");

        // Asked now, the node would say "payment isn't initiated", and the claim would be offered again while this
        // server's call goes on to pay it.
        var reconciler = host.Services.GetRequiredService<RefundReconciler>();
        Assert.Equal(0, await reconciler.ReconcileAsync(CancellationToken.None));
        Assert.Equal(RefundStatus.Claiming, await BackendScenarios<FakeLndNode>.StoredStatusAsync(host, withdraw));
        lock (_node.Requests)
        {
            Assert.DoesNotContain(_node.Requests, r => r.StartsWith("GET /v2/router/track/", StringComparison.Ordinal));
        }

        _node.PayoutArrival.SetResult();
        var answer = (await claim)!;
        Assert.True(answer["status"]!.GetValue<string>() == "OK", answer.ToJsonString());
        Assert.Equal(RefundStatus.Claimed, await BackendScenarios<FakeLndNode>.StoredStatusAsync(host, withdraw));
        Assert.Equal([invoice], _node.PaidOut);
    }
}
