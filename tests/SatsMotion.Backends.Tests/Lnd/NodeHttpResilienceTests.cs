using System.Net;
using SatsMotion.Server.Tests;

namespace SatsMotion.Backends.Tests.Lnd;

/// <summary>
/// The resilience every REST backend shares (NodeHttp), seen from the node's side: lookups are retried with backoff,
/// invoice creation never is (a retried create could leave the caller with a second invoice), and a node that keeps
/// failing is left alone by the circuit breaker for a while instead of being hammered.
/// </summary>
public sealed class NodeHttpResilienceTests : IAsyncLifetime
{
    private readonly FakeLndNode _node = new();
    private TestHost _host = null!;

    public async Task InitializeAsync()
    {
        await _node.StartAsync();
        _host = new TestHost(settings: new() { ["SatsMotion:Lightning"] = $"type=lnd-rest;server={_node.Address};macaroon={FakeLndNode.AdminMacaroon};certthumbprint={_node.CertificateThumbprint}" });
    }

    private int Count(string request)
    {
        lock (_node.Requests)
        {
            return _node.Requests.Count(r => r.StartsWith(request, StringComparison.Ordinal));
        }
    }

    private async Task<(string Body, string Macaroon, string Invoice, string Hash)> ChallengeAsync()
    {
        var body = TestHost.Body();
        using var response = await _host.AnimateAsync(body);
        var json = await _host.JsonAsync(response);
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        return (body, json["macaroon"]!.GetValue<string>(), json["invoice"]!.GetValue<string>(), json["payment_hash"]!.GetValue<string>());
    }

    [Fact]
    public async Task Invoice_creation_is_sent_once_and_lookups_are_retried()
    {
        var (body, macaroon, invoice, hash) = await ChallengeAsync();
        var preimage = _node.Pay(invoice);
        _node.Mode = NodeMode.Failing;

        using (var create = await _host.AnimateAsync(TestHost.Body("pan right")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, create.StatusCode);
        }

        Assert.Equal(2, Count("POST /v1/invoices"));

        using (var redeem = await _host.AnimateAsync(body, TestHost.Credential(macaroon, preimage), "respond-async"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, redeem.StatusCode);
        }

        Assert.Equal(3, Count($"GET /v1/invoice/{hash}"));
    }

    [Fact]
    public async Task A_node_that_keeps_failing_is_not_hammered()
    {
        await ChallengeAsync();
        _node.Mode = NodeMode.Failing;
        for (var i = 0; i < 12; i++)
        {
            using var response = await _host.AnimateAsync(TestHost.Body($"zoom {i}"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }

        // Once 8 calls are sampled with at least half failed, the circuit opens: the rest are refused here, unsent.
        Assert.InRange(Count("POST /v1/invoices"), 1 + 4, 1 + 8);
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _node.DisposeAsync();
    }
}
