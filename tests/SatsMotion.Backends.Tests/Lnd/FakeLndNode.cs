using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace SatsMotion.Backends.Tests.Lnd;

/// <summary>
/// Stands in for LND's REST gateway, following lnrpc's lightning.swagger.json (the REST reference at
/// lightning.engineering/api-docs): POST /v1/invoices (AddInvoice), GET /v1/invoice/{r_hash_str} (LookupInvoice, hash in
/// hex), GET /v1/invoices (ListInvoices), GET /v1/getinfo, GET /v1/state (no macaroon), and routerrpc's
/// POST /v2/router/send (SendPaymentV2, router.swagger.json: a stream of {"result": Payment} lines, hashes and
/// preimages in hex there). Bytes fields are base64 elsewhere, int64 fields JSON strings; the macaroon comes hex in
/// Grpc-Metadata-macaroon; every macaroon problem is HTTP 500 with grpc-gateway's {code: 2, message, details}.
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
        app.MapGet("/v1/state", () => Results.Json(new { state = "SERVER_ACTIVE" }));
        app.MapGet("/v1/invoices", (HttpContext context) => Refusal(context, "invoices") ?? Results.Json(new
        {
            invoices = Array.Empty<object>(),
            last_index_offset = "0",
            first_index_offset = "0",
        }));
        app.MapPost("/v2/router/send", async (HttpContext context) =>
        {
            if (Refusal(context, "offchain") is { } refused)
            {
                return refused;
            }

            var body = (await context.Request.ReadFromJsonAsync<JsonNode>())!;
            LastFeeLimitSat = long.Parse(body["fee_limit_sat"]!.GetValue<string>(), CultureInfo.InvariantCulture);
            var request = body["payment_request"]!.GetValue<string>();
            var hash = SatsMotion.Lightning.Bolt11.Bolt11Codec.Decode(request).PaymentHashHex;
            var preimage = PayOutgoing(request);
            object Payment(string status, string reason) => new
            {
                result = new
                {
                    payment_hash = hash,
                    payment_preimage = preimage is null || status != "SUCCEEDED" ? new string('0', 64) : Convert.ToHexStringLower(preimage),
                    value_sat = "250",
                    fee_sat = "1",
                    fee_msat = "1000",
                    status,
                    failure_reason = reason,
                    htlcs = Array.Empty<object>(),
                },
            };
            var lines = new[] { Payment("IN_FLIGHT", "FAILURE_REASON_NONE"), preimage is null ? Payment("FAILED", "FAILURE_REASON_NO_ROUTE") : Payment("SUCCEEDED", "FAILURE_REASON_NONE") };
            return Results.Text(string.Join("\n", lines.Select(l => System.Text.Json.JsonSerializer.Serialize(l))) + "\n", "application/json");
        });
    }

    public long? LastFeeLimitSat { get; private set; }

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
