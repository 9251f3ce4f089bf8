using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SatsMotion.Lightning;
using SatsMotion.Server.Jobs;
using SatsMotion.Server.Storage;
using SatsMotion.Server.Tests;
using SatsMotion.Testing;

namespace SatsMotion.Backends.Tests.Nwc;

/// <summary>
/// type=nwc following NIP-47 (Nostr Wallet Connect, github.com/nostr-protocol/nips 47.md): the shared scenarios and
/// the NWC-only cases against a real relay and a NIP-47 wallet service written with nostr-tools (nwc-receiver.mjs)
/// in front of <see cref="FakeNwcWallet"/>. The wallet speaks NIP-44 v2 only, so every passing scenario also proves
/// the encryption was negotiated.
/// </summary>
public sealed class NwcBackendTests : BackendScenarios<FakeNwcWallet>, IAsyncLifetime
{
    private NodeService _service = null!;
    private bool _serviceStopped;

    protected override string Connection => $"type=nwc;uri={Uri(_service)}";

    protected override string Secret => _service.Ready["clientSecret"]!.GetValue<string>();

    protected override string ConnectionWithWrongCredential => Connection.Replace(Secret, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));

    // NOT_FOUND (47.md: "The invoice could not be found") says nothing of a payment a wallet does not look up.
    protected override bool NoRecordMeansNeverPaid => false;

    async Task IAsyncLifetime.InitializeAsync()
    {
        await InitializeAsync();
        _service = await Node.StartServiceAsync();
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        if (!_serviceStopped)
        {
            await _service.DisposeAsync();
        }

        await DisposeAsync();
    }

    private static string Uri(NodeService service) => service.Ready["nwcUri"]!.GetValue<string>();

    [Fact]
    public async Task The_bare_nwc_uri_is_a_connection_string_too()
    {
        using var host = new TestHost(settings: new() { ["SatsMotion:Lightning"] = Uri(_service) });
        using var response = await host.AnimateAsync(TestHost.Body());
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
    }

    [Fact]
    public async Task Relay_down_at_challenge_time_is_503()
    {
        using (var first = await Host.AnimateAsync(TestHost.Body()))
        {
            Assert.Equal(HttpStatusCode.PaymentRequired, first.StatusCode);
        }

        await _service.DisposeAsync(); // the relay and the wallet service with it
        _serviceStopped = true;
        using var response = await Host.AnimateAsync(TestHost.Body("pan right"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("LIGHTNING_UNAVAILABLE", (await Host.JsonAsync(response))["error_code"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_wallet_without_get_info_needs_the_network_in_the_setting()
    {
        await using var service = await Node.StartServiceAsync(unimplemented: ["get_info"]);
        var (exit, stderr) = await StartServerProcessAsync($"type=nwc;uri={Uri(service)}");
        Assert.Equal(3, exit);
        Assert.Contains("get_info", stderr);
        Assert.Contains("network=", stderr);

        using var host = new TestHost(settings: new() { ["SatsMotion:Lightning"] = $"type=nwc;uri={Uri(service)};network=regtest" });
        using var response = await host.AnimateAsync(TestHost.Body());
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
    }

    [Fact]
    public async Task A_receive_only_connection_may_not_pay_out()
    {
        await using var service = await Node.StartServiceAsync(restricted: ["pay_invoice"]);
        using var host = new TestHost(settings: new() { ["SatsMotion:Lightning"] = Uri(service) });
        var failure = await Assert.ThrowsAsync<LightningBackendException>(() =>
            host.Services.GetRequiredService<ILightningBackend>().PayInvoiceAsync(FakeNode.RemoteInvoice(10), 1, CancellationToken.None));
        Assert.Equal(LightningFailure.NotPermitted, failure.Failure);
        Assert.Empty(Node.PaidOut);
    }

    [Fact]
    public async Task A_wallet_on_the_older_nip47_nip04_and_no_state_field_is_read_by_settled_at()
    {
        await using var service = await Node.StartServiceAsync(legacy: true);
        using var host = new TestHost(settings: new() { ["SatsMotion:Lightning"] = Uri(service) });
        var backend = host.Services.GetRequiredService<ILightningBackend>();
        var invoice = await backend.CreateInvoiceAsync(21, "legacy", TimeSpan.FromMinutes(10), CancellationToken.None);
        Assert.Equal(InvoiceState.Open, (await backend.LookupInvoiceAsync(invoice.PaymentHash, CancellationToken.None)).State);

        var preimage = Node.Pay(invoice.PaymentRequest);
        var settled = await backend.LookupInvoiceAsync(invoice.PaymentHash, CancellationToken.None);
        Assert.Equal(InvoiceState.Settled, settled.State);
        Assert.Equal(preimage, Convert.ToHexStringLower(settled.Preimage!));
        Assert.Equal(21_000, settled.AmountReceivedMsat);
    }

    [Fact]
    public async Task An_invoice_the_wallet_does_not_know_is_unknown()
    {
        var backend = Host.Services.GetRequiredService<ILightningBackend>();
        var status = await backend.LookupInvoiceAsync(RandomNumberGenerator.GetBytes(32), CancellationToken.None);
        Assert.Equal(InvoiceState.Unknown, status.State);
    }

    [Fact]
    public async Task A_reply_not_signed_by_the_wallet_is_ignored()
    {
        // Before each reply the relay (which checks nothing) passes on one that decrypts and claims the invoice
        // settled, signed by another key under the wallet's name (NIP-44: verify before decrypting).
        await using var service = await Node.StartServiceAsync(hostileRelay: true, forge: true);
        using var host = new TestHost(settings: new() { ["SatsMotion:Lightning"] = Uri(service) });
        var backend = host.Services.GetRequiredService<ILightningBackend>();
        var invoice = await backend.CreateInvoiceAsync(21, "forged", TimeSpan.FromMinutes(10), CancellationToken.None);
        Assert.Equal(InvoiceState.Open, (await backend.LookupInvoiceAsync(invoice.PaymentHash, CancellationToken.None)).State);
    }

    [Fact]
    public async Task An_old_reply_the_relay_replays_does_not_answer_a_new_request()
    {
        // This relay sends every reply it ever saw to every subscription: only the one that names our request counts.
        await using var service = await Node.StartServiceAsync(hostileRelay: true);
        using var host = new TestHost(settings: new() { ["SatsMotion:Lightning"] = Uri(service) });
        var backend = host.Services.GetRequiredService<ILightningBackend>();
        var first = await backend.CreateInvoiceAsync(21, "first", TimeSpan.FromMinutes(10), CancellationToken.None);
        var second = await backend.CreateInvoiceAsync(22, "second", TimeSpan.FromMinutes(10), CancellationToken.None);
        Assert.NotEqual(first.PaymentHash, second.PaymentHash);
        Assert.Equal(22_000, SatsMotion.Lightning.Bolt11.Bolt11Codec.Decode(second.PaymentRequest).AmountMsat);
    }

    [Fact]
    public async Task A_payment_of_the_wallet_is_not_read_as_our_invoice()
    {
        // lookup_invoice also finds the wallet's payments ("type": "outgoing"): a refund invoice may reuse a hash.
        var backend = Host.Services.GetRequiredService<ILightningBackend>();
        var invoice = FakeNode.RemoteInvoice(50);
        await backend.PayInvoiceAsync(invoice, null, CancellationToken.None);
        var hash = SatsMotion.Lightning.Bolt11.Bolt11Codec.Decode(invoice).PaymentHash;
        Assert.Equal(InvoiceState.Unknown, (await backend.LookupInvoiceAsync(hash, CancellationToken.None)).State);
        Assert.Equal(PaymentState.Succeeded, (await backend.LookupPaymentAsync(hash, CancellationToken.None)).State);
    }

    [Theory]
    [InlineData("5", 1)]
    [InlineData(null, 0)]
    public void RefundMaxFeeSats_set_with_nwc_is_warned_of_at_start_as_not_enforced(string? maxFee, int warnings)
    {
        // NIP-47's pay_invoice takes no fee limit: the wallet's own policy decides, whatever the setting says.
        var log = new Video.LogLines();
        using var host = new TestHost(settings: new() { ["SatsMotion:Lightning"] = Connection, ["SatsMotion:RefundMaxFeeSats"] = maxFee },
            services: services => services.AddSingleton<ILoggerProvider>(log));
        _ = host.Server;
        Assert.False(host.Services.GetRequiredService<ILightningBackend>().EnforcesFeeLimit);
        var warned = log.Lines.Where(l => l.Contains("RefundMaxFeeSats", StringComparison.Ordinal)).ToList();
        Assert.Equal(warnings, warned.Count);
        Assert.All(warned, l => Assert.StartsWith("Warning: RefundMaxFeeSats (5 sat) is not enforced by Nostr Wallet Connect", l));
    }

    [Fact]
    public async Task A_payment_failed_by_the_wallets_own_timeout_is_looked_up_not_offered_again_and_never_paid_twice()
    {
        // 47.md, pay_invoice: "PAYMENT_FAILED: The payment failed. This may be due to a timeout, …". This wallet
        // answers so after 300 ms while its node still holds the payment, which later goes through.
        await using var service = await Node.StartServiceAsync(payTimeoutMs: 300);
        using var host = new TestHost(settings: RefundSettings($"type=nwc;uri={Uri(service)}"));
        var http = host.CreateClient();
        var (_, withdraw) = await FailedPaidJobAsync(http, duration: 3);
        Node.HoldPayouts = true;
        var invoice = FakeNode.RemoteInvoice(300);
        var answer = (await ClaimAsync(http, withdraw, invoice))!;
        Assert.True(answer["status"]!.GetValue<string>() == "ERROR", answer.ToJsonString());
        Assert.Contains("not known yet", answer["reason"]!.GetValue<string>());
        Assert.Equal(RefundStatus.Claiming, await StoredStatusAsync(host, withdraw));

        // Not offered again, so a second invoice is refused; the wallet's record decides once the payment ends.
        Assert.Equal("ERROR", (await ClaimAsync(http, withdraw, FakeNode.RemoteInvoice(300)))!["status"]!.GetValue<string>());
        var reconciler = host.Services.GetRequiredService<RefundReconciler>();
        Assert.Equal(1, await reconciler.ReconcileAsync(CancellationToken.None));
        Node.ReleasePayouts();
        Assert.Equal(0, await reconciler.ReconcileAsync(CancellationToken.None));
        Assert.Equal(RefundStatus.Claimed, await StoredStatusAsync(host, withdraw));
        Assert.Equal([invoice], Node.PaidOut);
    }

    [Fact]
    public async Task Every_request_and_reply_fits_NIP_47()
    {
        await ExerciseEveryCallAsync();
        await using (var restricted = await Node.StartServiceAsync(restricted: ["pay_invoice"]))
        {
            using var host = new TestHost(settings: new() { ["SatsMotion:Lightning"] = Uri(restricted) });
            await Assert.ThrowsAsync<LightningBackendException>(() => host.Services.GetRequiredService<ILightningBackend>().PayInvoiceAsync(FakeNode.RemoteInvoice(10), null, CancellationToken.None));
        }

        var entries = (await File.ReadAllLinesAsync(Node.Journal)).Select(line => System.Text.Json.Nodes.JsonNode.Parse(line)!).ToList();
        Assert.Contains(entries, e => e["reply"]!["error"]?["code"]?.GetValue<string>() == "RESTRICTED");
        Assert.Contains(entries, e => e["reply"]!["result"]?["type"]?.GetValue<string>() == "outgoing");
        var definition = new Definitions.Nip47Definition();
        var problems = entries.SelectMany(definition.Problems).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
