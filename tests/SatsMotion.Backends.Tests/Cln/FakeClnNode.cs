using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace SatsMotion.Backends.Tests.Cln;

/// <summary>
/// Stands in for Core Lightning's clnrest plugin (doc/developers-guide/app-development/rest.md, the plugin's
/// handlers and tests) and the JSON-RPC schemas of invoice, listinvoices, getinfo and pay (doc/schemas): POST
/// /v1/&lt;method&gt; with named parameters as JSON and the rune in the Rune header; 201 with the RPC result; errors
/// {code, message, data}: no rune 403/1501, a foreign rune 401/1501, a rune that does not allow the method
/// 401/1502 "Not permitted: ...", a duplicate label 500/900, unknown method 404/-32601, pay failures 500/2xx.
/// Hashes and preimages hex, amounts msat numbers, network "regtest". Served over HTTPS, as clnrest is by default.
/// </summary>
public sealed class FakeClnNode : FakeNode
{
    public const string AdminRune = "OSqc7ixY6F-gjcigBfxtzKUI54uzgFSA6YfBQoWGDV89MA==";

    /// <summary>Created with restrictions [["method=invoice","method=listinvoices","method=getinfo"]].</summary>
    public const string ReceiveRune = "Gnpt0oTddhxJE3pdfXsKzGo_3XyN4sxuKnuNSbMqfbU9MSZtZXRob2Q9aW52b2ljZXxtZXRob2Q9bGlzdGludm9pY2Vz";

    private static readonly string[] ReceiveMethods = ["invoice", "listinvoices", "getinfo"];
    private readonly HashSet<string> _labels = [];

    protected override bool UseTls => true;

    public List<long> MaxFees { get; } = [];

    protected override void Map(WebApplication app)
    {
        app.MapPost("/v1/{method}", async (string method, HttpContext context) =>
        {
            if (Rune(context, method) is { } refused)
            {
                return refused;
            }

            // An empty body is allowed for methods without parameters.
            var text = await new StreamReader(context.Request.Body).ReadToEndAsync();
            var body = text.Length > 0 ? JsonNode.Parse(text)!.AsObject() : [];
            return method switch
            {
                "invoice" => Invoice(body),
                "listinvoices" => ListInvoices(body),
                "getinfo" => Created(new JsonObject { ["id"] = "02" + new string('c', 64), ["alias"] = "fake-cln", ["network"] = "regtest", ["blockheight"] = 800, ["version"] = "v25.02" }),
                "pay" => Pay(body),
                _ => Error(404, -32601, $"Unknown command '{method}'"),
            };
        });
    }

    private IResult Invoice(JsonObject body)
    {
        if (body["amount_msat"] is not JsonValue amount || body["label"] is null || body["description"] is null)
        {
            return Error(500, -32602, "missing required parameter");
        }

        var label = body["label"]!.ToString();
        lock (_labels)
        {
            if (!_labels.Add(label))
            {
                return Error(500, 900, $"Duplicate label '{label}'");
            }
        }

        var invoice = CreateInvoice(amount.GetValue<long>(), body["description"]!.GetValue<string>(), TimeSpan.FromSeconds(body["expiry"]?.GetValue<long>() ?? 604800));
        return Created(new JsonObject
        {
            ["payment_hash"] = Convert.ToHexStringLower(ReportedHash(invoice)),
            ["expires_at"] = invoice.ExpiresAt.ToUnixTimeSeconds(),
            ["bolt11"] = invoice.PaymentRequest,
            ["payment_secret"] = new string('2', 64),
            ["created_index"] = _labels.Count,
        });
    }

    private IResult ListInvoices(JsonObject body)
    {
        var invoice = body["payment_hash"]?.GetValue<string>() is { } hash ? Find(hash) : null;
        if (invoice is null)
        {
            return Created(new JsonObject { ["invoices"] = new JsonArray() });
        }

        var item = new JsonObject
        {
            ["label"] = "satsmotion",
            ["bolt11"] = invoice.PaymentRequest,
            ["payment_hash"] = invoice.PaymentHashHex,
            ["amount_msat"] = invoice.AmountMsat,
            ["status"] = invoice.SettledAt is not null ? "paid" : invoice.IsExpired ? "expired" : "unpaid",
            ["description"] = invoice.Description,
            ["expires_at"] = invoice.ExpiresAt.ToUnixTimeSeconds(),
            ["created_index"] = 1,
        };
        if (invoice.SettledAt is { } paidAt)
        {
            item["pay_index"] = 1;
            item["amount_received_msat"] = invoice.AmountMsat;
            item["paid_at"] = paidAt.ToUnixTimeSeconds();
            item["payment_preimage"] = Convert.ToHexStringLower(invoice.Preimage);
        }

        return Created(new JsonObject { ["invoices"] = new JsonArray(item) });
    }

    private IResult Pay(JsonObject body)
    {
        MaxFees.Add(body["maxfee"]?.GetValue<long>() ?? -1);
        var bolt11 = body["bolt11"]!.GetValue<string>();
        var preimage = PayOutgoing(bolt11);
        if (preimage is null)
        {
            return Error(500, 205, "Ran out of routes to try after 3 attempts: see `paystatus`");
        }

        var amount = SatsMotion.Lightning.Bolt11.Bolt11Codec.Decode(bolt11).AmountMsat!.Value;
        return Created(new JsonObject
        {
            ["payment_preimage"] = Convert.ToHexStringLower(preimage),
            ["payment_hash"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(preimage)),
            ["amount_msat"] = amount,
            ["amount_sent_msat"] = amount + 1000,
            ["parts"] = 1,
            ["status"] = "complete",
            ["created_at"] = 1738000000.0,
        });
    }

    private static IResult? Rune(HttpContext context, string method) => Header(context, "Rune") switch
    {
        null => Error(403, 1501, "Not authorized: Missing rune"),
        AdminRune => null,
        ReceiveRune when ReceiveMethods.Contains(method) => null,
        ReceiveRune => Error(401, 1502, $"Not permitted: method is not equal to invoice AND method is not equal to listinvoices AND method is not equal to getinfo"),
        _ => Error(401, 1501, "Not authorized: Not derived from master"),
    };

    private static IResult Created(JsonObject result) => Results.Json(result, statusCode: 201);

    private static IResult Error(int status, int code, string message) => Results.Json(new { code, message, data = (object?)null }, statusCode: status);
}
