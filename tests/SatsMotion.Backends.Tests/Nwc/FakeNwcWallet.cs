using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SatsMotion.Testing;

namespace SatsMotion.Backends.Tests.Nwc;

/// <summary>
/// The Lightning node behind a NIP-47 wallet service. The wallet service itself is tests/interop/nwc-receiver.mjs
/// (nostr-tools, following NIP-47 of github.com/nostr-protocol/nips, 47.md) on a real relay (@nostr-relay/core); it
/// turns each request into a call to this node's small HTTP API, so the invoice book, the regtest signing key and the
/// failure modes of <see cref="FakeNode"/> apply: with the node down the wallet service answers INTERNAL, as a
/// wallet whose node is away does. That API is the test's own: POST /invoices, GET /invoices/{hash}, GET /info,
/// POST /payments.
/// </summary>
public sealed class FakeNwcWallet : FakeNode
{
    /// <summary>Starts a wallet service (and its relay) in front of this node; options as nwc-receiver.mjs takes them.</summary>
    public Task<NodeService> StartServiceAsync(bool legacy = false, string[]? restricted = null, string[]? unimplemented = null) =>
        NodeService.StartAsync("nwc-receiver.mjs", new { ledgerUrl = Address.ToString(), encryption = "nip44", legacy, restricted = restricted ?? [], unimplemented = unimplemented ?? [] });

    protected override void Map(WebApplication app)
    {
        app.MapPost("/invoices", async (HttpContext context) =>
        {
            var body = (await context.Request.ReadFromJsonAsync<JsonNode>())!;
            var invoice = CreateInvoice(body["amount_msat"]!.GetValue<long>(), body["description"]!.GetValue<string>(), TimeSpan.FromSeconds(body["expiry"]!.GetValue<long>()));
            return Results.Json(Describe(invoice, ReportedHash(invoice)));
        });
        app.MapGet("/invoices/{hash}", (string hash) => Find(hash) is { } invoice ? Results.Json(Describe(invoice, invoice.PaymentHash)) : Results.NotFound(new { error = "not found" }));
        app.MapGet("/info", () => Results.Json(new { alias = "fake-nwc", network = "regtest", pubkey = "02" + new string('b', 64), block_height = 800 }));
        app.MapPost("/payments", async (HttpContext context) =>
        {
            var body = (await context.Request.ReadFromJsonAsync<JsonNode>())!;
            return PayOutgoing(body["invoice"]!.GetValue<string>()) is { } preimage
                ? Results.Json(new { preimage = Convert.ToHexStringLower(preimage), fees_paid = 1000 })
                : Results.Json(new { error = "no route" }, statusCode: 400);
        });
    }

    private static object Describe(FakeInvoice invoice, byte[] reportedHash) => new
    {
        invoice = invoice.PaymentRequest,
        payment_hash = Convert.ToHexStringLower(reportedHash),
        preimage = Convert.ToHexStringLower(invoice.Preimage),
        amount_msat = invoice.AmountMsat,
        description = invoice.Description,
        created_at = invoice.CreatedAt.ToUnixTimeSeconds(),
        expires_at = invoice.ExpiresAt.ToUnixTimeSeconds(),
        settled_at = invoice.SettledAt?.ToUnixTimeSeconds(),
    };
}
