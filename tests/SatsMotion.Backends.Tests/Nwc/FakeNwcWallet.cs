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
/// POST /payments (answers when the payment is final), GET /payments/{hash}.
/// </summary>
public sealed class FakeNwcWallet : FakeNode
{
    /// <summary>Where the wallet services append each request and reply they handled (decrypted), one JSON line each.</summary>
    public string Journal { get; } = Path.Combine(Directory.CreateTempSubdirectory("nwc-journal-").FullName, "exchanges.jsonl");

    /// <summary>Starts a wallet service (and its relay) in front of this node; options as nwc-receiver.mjs takes them.</summary>
    public Task<NodeService> StartServiceAsync(bool legacy = false, string[]? restricted = null, string[]? unimplemented = null, bool hostileRelay = false, bool forge = false,
        int? payTimeoutMs = null) =>
        NodeService.StartAsync("nwc-receiver.mjs", new
        {
            ledgerUrl = Address.ToString(),
            encryption = "nip44",
            legacy,
            restricted = restricted ?? [],
            unimplemented = unimplemented ?? [],
            hostileRelay,
            forge,
            payTimeoutMs,
            journal = Journal,
        });

    protected override void Map(WebApplication app)
    {
        app.MapPost("/invoices", async (HttpContext context) =>
        {
            var body = (await context.Request.ReadFromJsonAsync<JsonNode>())!;
            var invoice = CreateInvoice(body["amount_msat"]!.GetValue<long>(), body["description"]!.GetValue<string>(), TimeSpan.FromSeconds(body["expiry"]!.GetValue<long>()));
            return Results.Json(Describe(invoice, ReportedHash(invoice)));
        });
        app.MapGet("/invoices/{hash}", (string hash) => Find(hash) is { } invoice ? Results.Json(Describe(invoice, invoice.PaymentHash)) : Results.NotFound(new { error = "not found" }));
        app.MapGet("/info", () => Results.Json(new { alias = "fake-nwc", color = "#3399ff", network = "regtest", pubkey = new string('b', 64), block_height = 800, block_hash = new string('0', 64) }));
        app.MapPost("/payments", async (HttpContext context) =>
        {
            var body = (await context.Request.ReadFromJsonAsync<JsonNode>())!;
            var payment = StartPayout(body["invoice"]!.GetValue<string>(), null, out var existing);
            if (existing)
            {
                return Results.Json(new { error = payment.State == FakePaymentState.Succeeded ? "invoice already paid" : "payment already in progress" }, statusCode: 400);
            }

            await payment.Final;
            return payment.State == FakePaymentState.Succeeded
                ? Results.Json(new { preimage = Convert.ToHexStringLower(payment.Preimage!), fees_paid = payment.FeeMsat })
                : Results.Json(new { error = payment.FailureReason }, statusCode: 400);
        });
        app.MapGet("/payments/{hash}", (string hash) => FindOutgoing(hash) is { } payment ? Results.Json(new
        {
            invoice = payment.PaymentRequest,
            payment_hash = payment.PaymentHashHex,
            preimage = payment.Preimage is { } preimage ? Convert.ToHexStringLower(preimage) : null,
            amount_msat = payment.AmountMsat,
            fees_paid = payment.FeeMsat,
            created_at = payment.CreatedAt.ToUnixTimeSeconds(),
            settled_at = payment.State == FakePaymentState.Succeeded ? payment.CompletedAt?.ToUnixTimeSeconds() : null,
            state = payment.State switch { FakePaymentState.Succeeded => "settled", FakePaymentState.Failed => "failed", _ => "pending" },
        }) : Results.NotFound(new { error = "not found" }));
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
