using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Lightning;
using SatsMotion.Lightning.Bolt11;
using SatsMotion.Server.Jobs;
using SatsMotion.Server.Storage;
using SatsMotion.Server.Tests;

namespace SatsMotion.Backends.Tests.Lnd;

/// <summary>type=lnd-rest against <see cref="FakeLndNode"/> (LND's REST gateway as lnd 90ea05d and grpc-gateway v2.16.0 serve it).</summary>
public sealed class LndRestBackendTests : BackendScenarios<FakeLndNode>
{
    protected override string Connection => $"type=lnd-rest;server={Node.Address};macaroon={FakeLndNode.AdminMacaroon};certthumbprint={Node.CertificateThumbprint}";

    protected override string Secret => FakeLndNode.AdminMacaroon;

    protected override string ConnectionWithWrongCredential => $"type=lnd-rest;server={Node.Address};macaroon=0201036c6e64;certthumbprint={Node.CertificateThumbprint}";

    [Fact]
    public async Task A_certificate_other_than_the_pinned_one_is_never_talked_to()
    {
        var (exit, stderr) = await StartServerProcessAsync($"type=lnd-rest;server={Node.Address};macaroon={FakeLndNode.AdminMacaroon};certthumbprint={new string('0', 64)}");
        Assert.Equal(3, exit);
        Assert.Contains("unreachable", stderr);
        Assert.Equal(0, Node.CreateCalls);
    }

    [Fact]
    public async Task The_pinned_certificate_and_a_least_privilege_macaroon_may_come_as_files()
    {
        var directory = Directory.CreateTempSubdirectory("lnd-files-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "tls.cert"), Node.CertificatePem);
        await File.WriteAllBytesAsync(Path.Combine(directory, "satsmotion.macaroon"), Convert.FromHexString(FakeLndNode.ReceiveMacaroon));
        using var host = new TestHost(settings: new()
        {
            ["SatsMotion:Lightning"] = $"type=lnd-rest;server={Node.Address};macaroonfilepath={directory}/satsmotion.macaroon;certfilepath={directory}/tls.cert",
        });
        using var response = await host.AnimateAsync(TestHost.Body());
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);

        // That macaroon cannot pay out, and the backend says so.
        var failure = await Assert.ThrowsAsync<LightningBackendException>(() =>
            host.Services.GetRequiredService<ILightningBackend>().PayInvoiceAsync(FakeNode.RemoteInvoice(10), 1, CancellationToken.None));
        Assert.Equal(LightningFailure.NotPermitted, failure.Failure);
    }

    [Fact]
    public async Task LNDs_invoice_macaroon_works_when_the_network_is_named()
    {
        using var host = new TestHost(settings: new()
        {
            ["SatsMotion:Lightning"] = $"type=lnd-rest;server={Node.Address};macaroon={FakeLndNode.InvoiceMacaroon};certthumbprint={Node.CertificateThumbprint};network=regtest",
        });
        using var response = await host.AnimateAsync(TestHost.Body());
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
    }

    [Fact]
    public async Task LNDs_invoice_macaroon_without_a_network_is_refused_at_start_saying_what_to_add()
    {
        var (exit, stderr) = await StartServerProcessAsync($"type=lnd-rest;server={Node.Address};macaroon={FakeLndNode.InvoiceMacaroon};allowinsecure=true");
        Assert.Equal(3, exit);
        Assert.Contains("network=mainnet", stderr);
    }

    [Fact]
    public async Task Pays_out_through_SendPaymentV2_with_the_fee_limit_in_sats()
    {
        var backend = Host.Services.GetRequiredService<ILightningBackend>();
        var result = await backend.PayInvoiceAsync(FakeNode.RemoteInvoice(250), 7, CancellationToken.None);
        Assert.Equal(1000, result.FeePaidMsat);
        Assert.Equal(7, Node.LastFeeLimitSat);

        var failure = await Assert.ThrowsAsync<LightningBackendException>(() => backend.PayInvoiceAsync(
            SatsMotion.Lightning.Bolt11.Bolt11Codec.Encode(SatsMotion.Lightning.Bolt11.Bolt11Network.Regtest, 1000, DateTimeOffset.UtcNow,
                [SatsMotion.Lightning.Bolt11.Bolt11TaggedField.PaymentHash(new byte[32]), SatsMotion.Lightning.Bolt11.Bolt11TaggedField.PaymentSecret(new byte[32]), SatsMotion.Lightning.Bolt11.Bolt11TaggedField.Description("no route")],
                System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)), 7, CancellationToken.None));
        Assert.Equal(LightningFailure.PaymentFailed, failure.Failure);
        Assert.Contains("FAILURE_REASON_NO_ROUTE", failure.Message);
    }

    [Fact]
    public async Task A_refund_claimed_through_lnurl_withdraw_is_paid_by_the_node_within_the_fee_limit()
    {
        using var host = new TestHost(settings: new()
        {
            ["SatsMotion:Lightning"] = Connection,
            ["SatsMotion:Refunds"] = "true",
            ["SatsMotion:EncoderPreset"] = "no-such-preset",
            ["SatsMotion:MaxAttempts"] = "1",
        });
        var body = TestHost.Body();
        using var challenge = await host.AnimateAsync(body);
        var json = await host.JsonAsync(challenge);
        var preimage = Node.Pay(json["invoice"]!.GetValue<string>());
        using var failed = await host.AnimateAsync(body, TestHost.Credential(json["macaroon"]!.GetValue<string>(), preimage));
        var job = await host.JsonAsync(failed);
        Assert.True(SatsMotion.Lightning.Lnurl.Lnurl.TryDecode(job["refund"]!["lnurl"]!.GetValue<string>(), out var link));

        var client = host.CreateClient();
        var request = (await client.GetFromJsonAsync<JsonNode>(link!.PathAndQuery))!;
        var invoice = FakeNode.RemoteInvoice(300);
        var callback = new Uri(request["callback"]!.GetValue<string>()).PathAndQuery + $"?k1={request["k1"]}&pr={invoice}";
        var answer = (await client.GetFromJsonAsync<JsonNode>(callback))!;
        Assert.Equal("OK", answer["status"]!.GetValue<string>());
        Assert.Equal([invoice], Node.PaidOut);
        Assert.Equal(5, Node.LastFeeLimitSat); // 1 % of 300 sat, at least 5 sat

        var second = (await client.GetFromJsonAsync<JsonNode>(callback))!;
        Assert.Equal("ERROR", second["status"]!.GetValue<string>());
        Assert.Single(Node.PaidOut);
    }

    [Fact]
    public async Task Invoices_carry_route_hints_to_private_channels_unless_turned_off()
    {
        using (var response = await Host.AnimateAsync(TestHost.Body()))
        {
            var invoice = SatsMotion.Lightning.Bolt11.Bolt11Codec.Decode((await Host.JsonAsync(response))["invoice"]!.GetValue<string>());
            Assert.True(Node.LastPrivate);
            Assert.Equal(FakeNode.LspChannel.ShortChannelId, Assert.Single(Assert.Single(invoice.RouteHints)).ShortChannelId);
        }

        using var host = new TestHost(settings: new() { ["SatsMotion:Lightning"] = Connection + ";routehints=false" });
        using var plain = await host.AnimateAsync(TestHost.Body());
        Assert.Empty(SatsMotion.Lightning.Bolt11.Bolt11Codec.Decode((await host.JsonAsync(plain))["invoice"]!.GetValue<string>()).RouteHints);
        Assert.False(Node.LastPrivate);
    }

    [Fact]
    public async Task A_node_that_never_made_an_invoice_reads_as_not_knowing_it()
    {
        // LND 0.20+: "there are no existing invoices" (NotFound) before the first invoice, instead of "unable to locate invoice".
        var status = await Host.Services.GetRequiredService<ILightningBackend>().LookupInvoiceAsync(new byte[32], CancellationToken.None);
        Assert.Equal(InvoiceState.Unknown, status.State);
        Assert.Contains(Node.Exchanges, e => e.Response.Contains("there are no existing invoices"));
    }

    [Fact]
    public async Task An_invoice_paid_already_is_refused_by_LND_as_already_existing_and_is_a_failure_not_an_unknown()
    {
        var backend = Host.Services.GetRequiredService<ILightningBackend>();
        var invoice = FakeNode.RemoteInvoice(100);
        await backend.PayInvoiceAsync(invoice, null, CancellationToken.None);
        var again = await Assert.ThrowsAsync<LightningBackendException>(() => backend.PayInvoiceAsync(invoice, null, CancellationToken.None));
        Assert.Equal(LightningFailure.PaymentFailed, again.Failure);
        Assert.Contains("invoice is already paid", again.Message);
        Assert.Contains(Node.Exchanges, e => e.Status == 409);
        Assert.Single(Node.PaidOut);
    }

    [Fact]
    public async Task An_expired_invoice_is_refused_before_anything_is_sent()
    {
        var expired = SatsMotion.Lightning.Bolt11.Bolt11Codec.Encode(SatsMotion.Lightning.Bolt11.Bolt11Network.Regtest, 100_000, DateTimeOffset.UtcNow.AddHours(-2),
            [SatsMotion.Lightning.Bolt11.Bolt11TaggedField.PaymentHash(new byte[32]), SatsMotion.Lightning.Bolt11.Bolt11TaggedField.PaymentSecret(new byte[32]),
             SatsMotion.Lightning.Bolt11.Bolt11TaggedField.Description("old"), SatsMotion.Lightning.Bolt11.Bolt11TaggedField.Expiry(60)],
            System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var failure = await Assert.ThrowsAsync<LightningBackendException>(() => Host.Services.GetRequiredService<ILightningBackend>().PayInvoiceAsync(expired, null, CancellationToken.None));
        Assert.Equal(LightningFailure.PaymentFailed, failure.Failure);
        Assert.Contains("invoice expired", failure.Message);
        Assert.Empty(Node.Outgoing);
    }

    [Fact]
    public async Task A_refund_invoice_of_another_network_is_refused_by_LND_before_sending_and_the_refund_is_offered_again()
    {
        // zpay32/decode.go at 90ea05d: "invoice not for current active network '%s'", code 2 (HTTP 500) as a stream error.
        using var host = new TestHost(settings: RefundSettings());
        var http = host.CreateClient();
        var (_, withdraw) = await FailedPaidJobAsync(http, duration: 3);
        var mainnet = Bolt11Codec.Encode(Bolt11Network.Mainnet, 300_000, DateTimeOffset.UtcNow,
            [Bolt11TaggedField.PaymentHash(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)), Bolt11TaggedField.PaymentSecret(new byte[32]), Bolt11TaggedField.Description("mainnet")],
            System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var answer = (await ClaimAsync(http, withdraw, mainnet))!;
        Assert.True(answer["status"]!.GetValue<string>() == "ERROR", answer.ToJsonString());
        Assert.Contains("the payment failed", answer["reason"]!.GetValue<string>());
        Assert.Equal(RefundStatus.Available, await StoredStatusAsync(host, withdraw));
        Assert.Contains(Node.Exchanges, e => e.Route == "POST /v2/router/send" && e.Status == 500 && e.Response.Contains("invoice not for current active network"));
        Assert.Empty(Node.Outgoing);

        var invoice = FakeNode.RemoteInvoice(300);
        Assert.Equal("OK", (await ClaimAsync(http, withdraw, invoice))!["status"]!.GetValue<string>());
        Assert.Equal([invoice], Node.PaidOut);
    }

    [Fact]
    public async Task LND_shutting_down_during_a_refund_pay_out_leaves_its_outcome_to_the_node_and_it_is_paid_once()
    {
        // router_server.go at 90ea05d: trackPayment returns errServerShuttingDown with nothing written yet (no in-flight
        // updates asked for), so it is a code-2 stream error before the first message, while the payment goes on.
        using var host = new TestHost(settings: RefundSettings());
        var http = host.CreateClient();
        var (_, withdraw) = await FailedPaidJobAsync(http, duration: 3);
        Node.HoldPayouts = true;
        Node.ShutsDownWhilePaying = true;
        var invoice = FakeNode.RemoteInvoice(300);
        var answer = (await ClaimAsync(http, withdraw, invoice))!;
        Assert.True(answer["status"]!.GetValue<string>() == "ERROR", answer.ToJsonString());
        Assert.Contains("not known yet", answer["reason"]!.GetValue<string>());
        Assert.Contains(Node.Exchanges, e => e.Route == "POST /v2/router/send" && e.Status == 500 && e.Response.Contains("routerrpc server shutting down"));
        Assert.Equal(RefundStatus.Claiming, await StoredStatusAsync(host, withdraw));

        // Back up, the node's record decides: in flight, then paid.
        Node.ShutsDownWhilePaying = false;
        var reconciler = host.Services.GetRequiredService<RefundReconciler>();
        Assert.Equal(1, await reconciler.ReconcileAsync(CancellationToken.None));
        Assert.Equal(RefundStatus.Claiming, await StoredStatusAsync(host, withdraw));
        Node.ReleasePayouts();
        Assert.Equal(0, await reconciler.ReconcileAsync(CancellationToken.None));
        Assert.Equal(RefundStatus.Claimed, await StoredStatusAsync(host, withdraw));
        Assert.Equal([invoice], Node.PaidOut);
    }

    [Fact]
    public async Task A_pay_out_stream_with_an_error_line_after_an_in_flight_line_is_in_flight_and_a_final_line_decides()
    {
        // The gateway has sent 200 with the first line; an error then is one more line (handleForwardResponseStreamError).
        Node.IgnoresNoInflightUpdates = true;
        var backend = Host.Services.GetRequiredService<ILightningBackend>();
        Node.HoldPayouts = true;
        Node.ShutsDownWhilePaying = true;
        var invoice = FakeNode.RemoteInvoice(100);
        var broken = await Assert.ThrowsAsync<LightningBackendException>(() => backend.PayInvoiceAsync(invoice, null, CancellationToken.None));
        Assert.Equal(LightningFailure.PaymentInFlight, broken.Failure);
        var exchange = Node.Exchanges.Single(e => e.Route == "POST /v2/router/send");
        Assert.Equal(200, exchange.Status);
        Assert.Equal(["result", "error"], exchange.Response.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => System.Text.Json.Nodes.JsonNode.Parse(line)!.AsObject().Single().Key));
        Assert.Empty(new Definitions.LndDefinition().Problems(exchange));

        // IN_FLIGHT, then SUCCEEDED: paid.
        Node.ShutsDownWhilePaying = false;
        Node.ReleasePayouts();
        var paid = await backend.PayInvoiceAsync(FakeNode.RemoteInvoice(100), null, CancellationToken.None);
        Assert.Equal(32, paid.Preimage.Length);
    }

    [Fact]
    public async Task Every_request_and_answer_fits_LNDs_published_swagger()
    {
        await ExerciseEveryCallAsync();
        using (var host = new TestHost(settings: new() { ["SatsMotion:Lightning"] = $"type=lnd-rest;server={Node.Address};macaroon={FakeLndNode.InvoiceMacaroon};certthumbprint={Node.CertificateThumbprint};network=regtest" }))
        {
            // invoice.macaroon: getinfo and pay-outs refused, the network checked through /v1/state and /v1/invoices.
            for (var probe = 0; probe < 5; probe++)
            {
                // /readyz asks getinfo each time: its refusal must not read as an outage and open the circuit.
                await host.Services.GetRequiredService<ILightningBackend>().GetInfoAsync(CancellationToken.None);
            }

            await Assert.ThrowsAsync<LightningBackendException>(() => host.Services.GetRequiredService<ILightningBackend>().PayInvoiceAsync(FakeNode.RemoteInvoice(10), null, CancellationToken.None));
        }

        var definition = new Definitions.LndDefinition();
        Assert.Contains(Node.Exchanges, e => e.Route == "POST /v2/router/send" && e.Status == 500);
        Assert.Empty(Node.Exchanges.SelectMany(definition.Problems));
    }
}
