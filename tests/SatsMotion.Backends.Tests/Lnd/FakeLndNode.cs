using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace SatsMotion.Backends.Tests.Lnd;

/// <summary>
/// Stands in for LND's REST gateway, following lnrpc's lightning.swagger.json (the REST reference at
/// lightning.engineering/api-docs): POST /v1/invoices (AddInvoice), GET /v1/invoice/{r_hash_str} (LookupInvoice, hash in
/// hex), GET /v1/getinfo, POST /v1/channels/transactions (SendPaymentSync). Bytes fields are base64, int64 fields JSON
/// strings; the macaroon comes hex in Grpc-Metadata-macaroon; errors are grpc-gateway's {code, message, details}.
/// Served over HTTPS with a self-signed certificate, as LND does.
/// </summary>
public sealed class FakeLndNode : FakeNode
{
    public const string AdminMacaroon = "0201036c6e6402f801030a1011aa22bb33cc44dd55ee66ff";

    /// <summary>Baked with info:read invoices:read invoices:write: what SatsMotion needs to take payments.</summary>
    public const string ReceiveMacaroon = "0201036c6e640258030a10ab12cd34ef56ab7801";

    /// <summary>LND's own invoice.macaroon: invoices, addresses and on-chain reads, but not info:read.</summary>
    public const string InvoiceMacaroon = "0201036c6e640258030a10ab12cd34ef56ab78";

    protected override bool UseTls => true;

    protected override void Map(WebApplication app)
    {
        app.MapPost("/v1/invoices", async (HttpContext context) =>
        {
            if (Refusal(context, "invoices") is { } refused)
            {
                return refused;
            }

            var body = (await context.Request.ReadFromJsonAsync<JsonNode>())!;
            var invoice = CreateInvoice(long.Parse(body["value"]!.ToString(), CultureInfo.InvariantCulture) * 1000, body["memo"]?.GetValue<string>() ?? "",
                TimeSpan.FromSeconds(long.Parse(body["expiry"]?.ToString() ?? "86400", CultureInfo.InvariantCulture)));
            return Results.Json(new
            {
                r_hash = Convert.ToBase64String(ReportedHash(invoice)),
                payment_request = invoice.PaymentRequest,
                add_index = "1",
                payment_addr = Convert.ToBase64String(new byte[32]),
            });
        });
        app.MapGet("/v1/invoice/{hash}", (string hash, HttpContext context) =>
        {
            if (Refusal(context, "invoices") is { } refused)
            {
                return refused;
            }

            var invoice = Find(hash);
            if (invoice is null)
            {
                return Error(404, 5, "unable to locate invoice");
            }

            var state = invoice.SettledAt is not null ? "SETTLED" : invoice.IsExpired ? "CANCELED" : "OPEN";
            return Results.Json(new
            {
                memo = invoice.Description,
                r_preimage = Convert.ToBase64String(invoice.Preimage),
                r_hash = Convert.ToBase64String(invoice.PaymentHash),
                value = (invoice.AmountMsat / 1000).ToString(CultureInfo.InvariantCulture),
                value_msat = invoice.AmountMsat.ToString(CultureInfo.InvariantCulture),
                settled = invoice.SettledAt is not null,
                creation_date = invoice.CreatedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
                settle_date = (invoice.SettledAt?.ToUnixTimeSeconds() ?? 0).ToString(CultureInfo.InvariantCulture),
                payment_request = invoice.PaymentRequest,
                expiry = ((long)(invoice.ExpiresAt - invoice.CreatedAt).TotalSeconds).ToString(CultureInfo.InvariantCulture),
                amt_paid_sat = (invoice.SettledAt is null ? 0 : invoice.AmountMsat / 1000).ToString(CultureInfo.InvariantCulture),
                amt_paid_msat = (invoice.SettledAt is null ? 0 : invoice.AmountMsat).ToString(CultureInfo.InvariantCulture),
                state,
            });
        });
        app.MapGet("/v1/getinfo", (HttpContext context) => Refusal(context, "info") ?? Results.Json(new
        {
            identity_pubkey = "02" + new string('a', 64),
            alias = "fake-lnd",
            block_height = 800,
            synced_to_chain = true,
            synced_to_graph = true,
            chains = new[] { new { chain = "bitcoin", network = "regtest" } },
        }));
        app.MapPost("/v1/channels/transactions", async (HttpContext context) =>
        {
            if (Refusal(context, "offchain") is { } refused)
            {
                return refused;
            }

            var body = (await context.Request.ReadFromJsonAsync<JsonNode>())!;
            var preimage = PayOutgoing(body["payment_request"]!.GetValue<string>());
            return preimage is null
                ? Results.Json(new { payment_error = "unable to find a path to destination", payment_preimage = "", payment_hash = "" })
                : Results.Json(new
                {
                    payment_error = "",
                    payment_preimage = Convert.ToBase64String(preimage),
                    payment_hash = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(preimage)),
                    payment_route = new { total_fees = "1", total_fees_msat = "1000" },
                });
        });
    }

    // LND checks the macaroon's permissions per call (entity:action); the fake knows three macaroons.
    private static IResult? Refusal(HttpContext context, string entity)
    {
        var granted = Header(context, "Grpc-Metadata-macaroon") switch
        {
            AdminMacaroon => ["info", "invoices", "offchain"],
            ReceiveMacaroon => ["info", "invoices"],
            InvoiceMacaroon => new[] { "invoices" },
            _ => null,
        };
        return granted is null ? Error(500, 2, "verification failed: signature mismatch after caveat verification")
            : granted.Contains(entity) ? null
            : Error(500, 2, "permission denied");
    }

    private static IResult Error(int status, int code, string message) => Results.Json(new { code, message, details = Array.Empty<object>() }, statusCode: status);
}
