using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Lightning;
using SatsMotion.Lightning.Bolt11;
using SatsMotion.Server.Jobs;
using SatsMotion.Server.Storage;
using SatsMotion.Server.Tests;
using SatsMotion.Testing;

namespace SatsMotion.Backends.Tests;

/// <summary>What the node's payment database holds for a pay-out whose outcome the server lost.</summary>
public enum NodeRecord
{
    Paid,
    Failed,
    None,
    InFlightThenPaid,
}

/// <summary>
/// Refund pay-outs through each real backend against its fake: the default fee limit pays the largest price, a slow
/// payment is waited for, a claim whose pay-out outcome was lost is resolved from the node's own record of the
/// payment, and a server killed during a pay-out never pays it twice.
/// </summary>
public abstract partial class BackendScenarios<TNode>
{
    /// <summary>
    /// Whether the node's "no such payment" proves a pay-out never reached it. NIP-47's NOT_FOUND does not: a wallet
    /// may look up only its invoices.
    /// </summary>
    protected virtual bool NoRecordMeansNeverPaid => true;

    // A job that always fails (no such encoder preset), once, with refunds on: each paid job offers its price back.
    // Reconciliation only when a test asks for it (the start-up pass finds nothing to do).
    protected Dictionary<string, string?> RefundSettings(string? connection = null) => RefundSettingsFor(connection ?? Connection);

    internal static Dictionary<string, string?> RefundSettingsFor(string connection) => new()
    {
        ["SatsMotion:Lightning"] = connection,
        ["SatsMotion:Refunds"] = "true",
        ["SatsMotion:EncoderPreset"] = "no-such-preset",
        ["SatsMotion:MaxAttempts"] = "1",
        ["SatsMotion:RefundReconcileInterval"] = "1.00:00:00",
    };

    /// <summary>Pays for a job of <paramref name="duration"/> s at the node, lets it fail, and returns its id and its refund's LNURL-withdraw request.</summary>
    protected Task<(string JobId, JsonNode Withdraw)> FailedPaidJobAsync(HttpClient http, int duration) => FailedPaidJobAsync(http, Node, duration);

    internal static async Task<(string JobId, JsonNode Withdraw)> FailedPaidJobAsync(HttpClient http, FakeNode node, int duration)
    {
        var body = TestHost.Body("refund me", duration: duration);
        using var challengeResponse = await http.PostAsync("/api/l402/animate-image", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        var challenge = (await challengeResponse.Content.ReadFromJsonAsync<JsonNode>())!;
        var preimage = node.Pay(challenge["invoice"]!.GetValue<string>());
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/l402/animate-image") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", TestHost.Credential(challenge["macaroon"]!.GetValue<string>(), preimage));
        using var failed = await http.SendAsync(request);
        var job = (await failed.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.True(job["status"]?.GetValue<string>() == "FAILED", job.ToJsonString());
        Assert.True(Lightning.Lnurl.Lnurl.TryDecode(job["refund"]!["lnurl"]!.GetValue<string>(), out var link));
        var withdraw = (await http.GetFromJsonAsync<JsonNode>(link!.PathAndQuery))!;
        return (job["jobId"]!.GetValue<string>(), withdraw);
    }

    internal static Task<JsonNode?> ClaimAsync(HttpClient http, JsonNode withdraw, string invoice) =>
        http.GetFromJsonAsync<JsonNode>(new Uri(withdraw["callback"]!.GetValue<string>()).PathAndQuery + $"?k1={withdraw["k1"]}&pr={invoice}");

    private static async Task<string?> RefundStatusAsync(HttpClient http, string jobId) =>
        (await http.GetFromJsonAsync<JsonNode>($"/api/l402/jobs/{jobId}"))!["refund"]?["status"]?.GetValue<string>();

    // The refund as the store holds it: the public view shows claiming as claimed.
    internal static async Task<RefundStatus?> StoredStatusAsync(TestHost host, JsonNode withdraw) =>
        (await host.Services.GetRequiredService<RefundStore>().FindByK1Async(withdraw["k1"]!.GetValue<string>(), CancellationToken.None))?.Status;

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(50);
        }
    }

    internal static Task WaitUntilAsync(Func<bool> condition, string what) => WaitUntilAsync(() => Task.FromResult(condition()), what);

    [Theory]
    [InlineData(100)] // the default rate: 15 s is 1,500 sat
    [InlineData(200)] // a dearer rate, 3,000 sat: phoenixd's fee, 4 sat + 0.4 %, is 16 sat (at 1,500 sat it is exactly the old 10)
    public async Task A_refund_of_the_largest_price_is_paid_with_the_default_fee_limit(int satsPerSecond)
    {
        // 12 sat of routing fees: above the old fixed limit of 10 sat, within every backend's own rule (phoenixd
        // charges its published fee whatever the route costs).
        Node.RouteFeeMsat = 12_000;
        var settings = RefundSettings();
        settings["SatsMotion:SatsPerSecond"] = satsPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var host = new TestHost(settings: settings);
        var http = host.CreateClient();
        var (jobId, withdraw) = await FailedPaidJobAsync(http, duration: 15);
        Assert.Equal(15_000L * satsPerSecond, withdraw["maxWithdrawable"]!.GetValue<long>());

        var invoice = FakeNode.RemoteInvoice(15 * satsPerSecond);
        var answer = (await ClaimAsync(http, withdraw, invoice))!;
        Assert.True(answer["status"]!.GetValue<string>() == "OK", answer.ToJsonString());
        Assert.Equal([invoice], Node.PaidOut);
        Assert.Equal("claimed", await RefundStatusAsync(http, jobId));
        Assert.Equal(RefundStatus.Claimed, await StoredStatusAsync(host, withdraw));
        if (satsPerSecond == 200)
        {
            // What the node charged is more than the old limit allowed: that limit would have refused this refund.
            Assert.True(Node.Outgoing.Single().FeeMsat > 10_000, $"charged {Node.Outgoing.Single().FeeMsat} msat");
        }
    }

    [Fact]
    public async Task An_invoice_already_given_for_another_refund_is_refused_and_nothing_is_paid_twice()
    {
        using var host = new TestHost(settings: RefundSettings());
        var http = host.CreateClient();
        var (_, first) = await FailedPaidJobAsync(http, duration: 3);
        var (_, second) = await FailedPaidJobAsync(http, duration: 3);
        var invoice = FakeNode.RemoteInvoice(300);
        Assert.Equal("OK", (await ClaimAsync(http, first, invoice))!["status"]!.GetValue<string>());

        // The node would answer "already paid" and show the first refund's payment: read as this one's, the second
        // refund would end claimed with nothing paid to its caller.
        var refused = (await ClaimAsync(http, second, invoice))!;
        Assert.True(refused["status"]!.GetValue<string>() == "ERROR", refused.ToJsonString());
        Assert.Contains("another refund", refused["reason"]!.GetValue<string>());
        Assert.Equal(RefundStatus.Available, await StoredStatusAsync(host, second));
        Assert.Equal(RefundStatus.Claimed, await StoredStatusAsync(host, first));

        var own = FakeNode.RemoteInvoice(300);
        Assert.Equal("OK", (await ClaimAsync(http, second, own))!["status"]!.GetValue<string>());
        Assert.Equal([invoice, own], Node.PaidOut);
    }

    [Fact]
    public async Task A_pay_out_slower_than_an_ordinary_call_is_waited_for()
    {
        // Longer than the 10 s every other call to the node gets.
        Node.PayoutDelay = TimeSpan.FromSeconds(11);
        var invoice = FakeNode.RemoteInvoice(250);
        var paid = await Host.Services.GetRequiredService<ILightningBackend>().PayInvoiceAsync(invoice, null, CancellationToken.None);
        Assert.Equal(32, paid.Preimage.Length);
        Assert.Equal([invoice], Node.PaidOut);
    }

    [Theory]
    [InlineData(NodeRecord.Paid, RefundStatus.Claimed)]
    [InlineData(NodeRecord.Failed, RefundStatus.Available)]
    [InlineData(NodeRecord.None, RefundStatus.Available)]
    [InlineData(NodeRecord.InFlightThenPaid, RefundStatus.Claimed)]
    public async Task A_claim_whose_pay_out_outcome_was_lost_is_resolved_from_the_nodes_record(NodeRecord record, RefundStatus resolved)
    {
        using var host = new TestHost(settings: RefundSettings());
        var http = host.CreateClient();
        var backend = host.Services.GetRequiredService<ILightningBackend>();
        var (jobId, withdraw) = await FailedPaidJobAsync(http, duration: 3);

        // What a server that died mid-payment leaves: the claim taken, and the node's record of the payment as it ended.
        var invoice = record == NodeRecord.Failed ? NoRouteInvoice(300) : FakeNode.RemoteInvoice(300);
        Task? payment = null;
        switch (record)
        {
            case NodeRecord.Paid:
                await backend.PayInvoiceAsync(invoice, null, CancellationToken.None);
                break;
            case NodeRecord.Failed:
                await Assert.ThrowsAsync<LightningBackendException>(() => backend.PayInvoiceAsync(invoice, null, CancellationToken.None));
                break;
            case NodeRecord.InFlightThenPaid:
                Node.HoldPayouts = true;
                payment = Task.Run(() => backend.PayInvoiceAsync(invoice, null, CancellationToken.None));
                await WaitUntilAsync(() => Node.FindOutgoing(Bolt11Codec.Decode(invoice).PaymentHashHex) is not null, "the node has the payment in flight");
                break;
        }

        var k1 = withdraw["k1"]!.GetValue<string>();
        Assert.Equal(ClaimStart.Started, await host.Services.GetRequiredService<RefundStore>().BeginClaimAsync(k1, invoice, Bolt11Codec.Decode(invoice).PaymentHashHex, CancellationToken.None));
        var reconciler = host.Services.GetRequiredService<RefundReconciler>();
        if (record == NodeRecord.InFlightThenPaid)
        {
            Assert.Equal(1, await reconciler.ReconcileAsync(CancellationToken.None));
            Assert.Equal("claimed", await RefundStatusAsync(http, jobId)); // claiming, as callers see it
            Assert.Equal(RefundStatus.Claiming, await StoredStatusAsync(host, withdraw));
            Node.ReleasePayouts();
            await payment!;
        }

        if (record == NodeRecord.None && !NoRecordMeansNeverPaid)
        {
            // The node cannot tell a payment it never made from one it does not show: the claim waits, unpaid.
            Assert.Equal(1, await reconciler.ReconcileAsync(CancellationToken.None));
            Assert.Equal(RefundStatus.Claiming, await StoredStatusAsync(host, withdraw));
            Assert.Empty(Node.PaidOut);
            return;
        }

        Assert.Equal(0, await reconciler.ReconcileAsync(CancellationToken.None));
        Assert.Equal(resolved, await StoredStatusAsync(host, withdraw));
        Assert.Equal(resolved == RefundStatus.Claimed ? "claimed" : "available", await RefundStatusAsync(http, jobId));
        Assert.Equal(record is NodeRecord.Paid or NodeRecord.InFlightThenPaid ? 1 : 0, Node.PaidOut.Count);
        if (resolved == RefundStatus.Available)
        {
            // Offered again, it pays once with another invoice.
            var again = FakeNode.RemoteInvoice(300);
            Assert.Equal("OK", (await ClaimAsync(http, withdraw, again))!["status"]!.GetValue<string>());
            Assert.Equal([again], Node.PaidOut);
        }
    }

    [Fact]
    public Task A_server_killed_during_a_refund_pay_out_ends_the_claim_claimed_by_itself_and_never_pays_twice() => KilledDuringAPayOutAsync(nodePays: true);

    [Fact]
    public Task A_server_killed_during_a_refund_pay_out_that_then_fails_offers_the_refund_again_and_pays_it_once() => KilledDuringAPayOutAsync(nodePays: false);

    // The server is SIGKILLed while the node holds the refund's payment in flight; the node then pays it or fails it.
    private async Task KilledDuringAPayOutAsync(bool nodePays)
    {
        var data = Directory.CreateTempSubdirectory("refund-crash-").FullName;
        var address = new Uri($"http://127.0.0.1:{LoopbackPorts.Free()}");
        var settings = RefundSettings();
        settings["SatsMotion:RefundReconcileInterval"] = "00:00:00.500";
        Task<ServerProcess> StartAsync() => ServerProcess.StartAsync(new ProcessStartInfo("dotnet",
            [typeof(Program).Assembly.Location, "--data", data, "--urls", address.GetLeftPart(UriPartial.Authority), .. settings.Select(s => $"--{s.Key}={s.Value}")]),
            address, TimeSpan.FromSeconds(30));
        using var http = new HttpClient { BaseAddress = address };
        var invoice = FakeNode.RemoteInvoice(300);
        var hash = Bolt11Codec.Decode(invoice).PaymentHashHex;
        string jobId;
        JsonNode withdraw;
        await using (var first = await StartAsync())
        {
            (jobId, withdraw) = await FailedPaidJobAsync(http, duration: 3);
            Node.HoldPayouts = true;
            _ = ClaimAsync(http, withdraw, invoice).ContinueWith(t => t.Exception, TaskScheduler.Default); // answered never: the server dies first
            await WaitUntilAsync(() => Node.FindOutgoing(hash) is not null, "the node is paying the refund");
            await first.StopAsync(); // SIGKILL, the payment in flight
        }

        var again = FakeNode.RemoteInvoice(300);
        await using (var second = await StartAsync())
        {
            // Still in flight at the node: the claim stays claiming, and a second claim is refused.
            Assert.Equal("claimed", await RefundStatusAsync(http, jobId));
            Assert.Equal(RefundStatus.Claiming, await ClaimStatusAsync(data, withdraw));
            Assert.Equal("ERROR", (await ClaimAsync(http, withdraw, again))!["status"]!.GetValue<string>());
            Assert.Equal(RefundStatus.Claiming, await ClaimStatusAsync(data, withdraw));
            Node.ReleasePayouts(succeed: nodePays);
            var resolved = nodePays ? RefundStatus.Claimed : RefundStatus.Available;
            await WaitUntilAsync(async () => await ClaimStatusAsync(data, withdraw) == resolved, $"the reconciler makes the claim {resolved}");
            if (!nodePays)
            {
                // Offered again, it is claimed with another invoice and paid once.
                var answer = (await ClaimAsync(http, withdraw, again))!;
                Assert.True(answer["status"]!.GetValue<string>() == "OK", answer.ToJsonString());
                Assert.Equal(RefundStatus.Claimed, await ClaimStatusAsync(data, withdraw));
            }

            await second.StopAsync();
        }

        Assert.Equal(nodePays ? new[] { invoice } : new[] { again }, Node.PaidOut);
        Assert.Equal(nodePays ? 1 : 2, Node.Outgoing.Count);
        Assert.Equal(nodePays ? new[] { FakePaymentState.Succeeded } : new[] { FakePaymentState.Failed, FakePaymentState.Succeeded }, Node.Outgoing.Select(p => p.State));
    }

    // The claim as the store holds it (the public view shows claiming as claimed).
    private static async Task<RefundStatus?> ClaimStatusAsync(string data, JsonNode withdraw) =>
        (await new RefundStore(new Server.Storage.Sqlite.SqliteDatabase(new DataDirectory(data).Database), TimeProvider.System)
            .FindByK1Async(withdraw["k1"]!.GetValue<string>(), CancellationToken.None))?.Status;

    /// <summary>
    /// Makes every call the adapter has, the way the server makes them, and a few that the node refuses: what the
    /// checks against a node's published definition then read from <see cref="FakeNode.Exchanges"/>.
    /// </summary>
    protected async Task ExerciseEveryCallAsync()
    {
        var backend = Host.Services.GetRequiredService<ILightningBackend>();
        await backend.GetInfoAsync(CancellationToken.None);
        await backend.LookupInvoiceAsync(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32), CancellationToken.None);
        var body = TestHost.Body("every call");
        using var challengeResponse = await Host.AnimateAsync(body);
        var challenge = await Host.JsonAsync(challengeResponse);
        var preimage = Node.Pay(challenge["invoice"]!.GetValue<string>());
        using (var redeemed = await Host.AnimateAsync(body, TestHost.Credential(challenge["macaroon"]!.GetValue<string>(), preimage), "respond-async"))
        {
            Assert.True(redeemed.IsSuccessStatusCode, await redeemed.Content.ReadAsStringAsync());
        }

        var payout = FakeNode.RemoteInvoice(100);
        await backend.PayInvoiceAsync(payout, 5, CancellationToken.None);
        foreach (var again in new[] { payout, NoRouteInvoice(100) })
        {
            try
            {
                await backend.PayInvoiceAsync(again, null, CancellationToken.None);
            }
            catch (LightningBackendException)
            {
                // refused as paid already, or no route: the refusal is what is checked
            }
        }

        await backend.LookupPaymentAsync(Bolt11Codec.Decode(payout).PaymentHash, CancellationToken.None);
        await backend.LookupPaymentAsync(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32), CancellationToken.None);
    }

    /// <summary>An invoice of a node nobody can route to.</summary>
    protected static string NoRouteInvoice(long amountSat) => Bolt11Codec.Encode(Bolt11Network.Regtest, amountSat * 1000, DateTimeOffset.UtcNow,
        [Bolt11TaggedField.PaymentHash(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)), Bolt11TaggedField.PaymentSecret(new byte[32]), Bolt11TaggedField.Description("nowhere")],
        System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
}
