using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace SatsMotion.Backends.Tests.Cln;

/// <summary>
/// Stands in for Core Lightning v26.06 (55617a5): the clnrest plugin (plugins/rest-plugin/src/handlers.rs, shared.rs)
/// and the RPCs invoice, listinvoices, getinfo, pay — served by xpay since 26.06 (plugins/xpay/xpay.c) — and listpays
/// (plugins/xpay/listpays.c), whose shapes doc/schemas/*.json define: POST /v1/&lt;method&gt; with named parameters as
/// JSON and the rune in the Rune header; 201 with the RPC result; errors {code, message, data}: no rune 403/1501, a
/// foreign rune 401/1501, a rune that does not allow the method 401/1502 "Not permitted: ...", unknown method
/// 404/-32601, every other RPC error 500 (a duplicate label 900; pay: an expired invoice 207, no route 205, given up
/// 209, and -3 "Unexpected injectpaymentonion error 200" for a payment of the hash still in flight). pay answers only
/// when the payment is final (clnrest has no timeout) and goes on if the caller hangs up; paying a hash paid already
/// returns that payment. Hashes and preimages hex, amounts msat numbers, network "regtest". Served over HTTPS, as
/// clnrest is by default.
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
                "getinfo" => Created(GetInfo()),
                "pay" => await PayAsync(body),
                "listpays" => ListPays(body),
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

    private static JsonObject GetInfo() => new()
    {
        ["id"] = "02" + new string('c', 64),
        ["alias"] = "fake-cln",
        ["color"] = "cccccc",
        ["num_peers"] = 1,
        ["num_pending_channels"] = 0,
        ["num_active_channels"] = 1,
        ["num_inactive_channels"] = 0,
        ["address"] = new JsonArray(),
        ["binding"] = new JsonArray(),
        ["version"] = "v26.06",
        ["blockheight"] = 800,
        ["network"] = "regtest",
        ["fees_collected_msat"] = 0,
        ["lightning-dir"] = "/var/lib/cln/regtest",
        ["our_features"] = new JsonObject { ["init"] = "08a0000a", ["node"] = "88a0000a", ["channel"] = "", ["invoice"] = "02000000024100" },
    };

    private async Task<IResult> PayAsync(JsonObject body)
    {
        MaxFees.Add(body["maxfee"]?.GetValue<long>() ?? -1);
        var bolt11 = body["bolt11"]!.GetValue<string>();
        var invoice = SatsMotion.Lightning.Bolt11.Bolt11Codec.Decode(bolt11);
        if (invoice.ExpiresAt <= DateTimeOffset.UtcNow)
        {
            return Error(500, 207, $"Invoice expired {(long)(DateTimeOffset.UtcNow - invoice.ExpiresAt).TotalSeconds} seconds ago");
        }

        // xpay's default limit without maxfee: 5000 msat or 1 %, whichever is greater.
        var amount = invoice.AmountMsat!.Value;
        var payment = StartPayout(bolt11, body["maxfee"]?.GetValue<long>() ?? Math.Max(5000, amount / 100), out var existing);
        if (existing && payment.State == FakePaymentState.InFlight)
        {
            return Error(500, -3, $"Unexpected injectpaymentonion error 200: Payment with groupid=1 still in progress");
        }

        // clnrest waits for the RPC, however long; the payment goes on if we are gone.
        await payment.Final;
        return payment.State == FakePaymentState.Succeeded ? Created(new JsonObject
        {
            ["payment_preimage"] = Convert.ToHexStringLower(payment.Preimage!),
            ["payment_hash"] = payment.PaymentHashHex,
            ["created_at"] = payment.CreatedAt.ToUnixTimeMilliseconds() / 1000.0,
            ["parts"] = 1,
            ["amount_msat"] = amount,
            ["amount_sent_msat"] = amount + payment.FeeMsat,
            ["status"] = "complete",
            ["destination"] = "03" + new string('d', 64),
        })
            : payment.FailureReason == "no route" ? Error(500, 205, "Failed: could not route or connect with blinded path")
            : Error(500, 209, $"Failed after 1 attempts. We got temporary_channel_failure for the invoice's route hint; {payment.FailureReason}");
    }

    private IResult ListPays(JsonObject body)
    {
        var hash = body["payment_hash"]?.GetValue<string>();
        List<FakeOutgoing> payments;
        lock (Outgoing)
        {
            payments = Outgoing.Where(p => hash is null || p.PaymentHashHex == hash).ToList();
        }

        var pays = new JsonArray();
        foreach (var (payment, index) in payments.Select((p, i) => (p, i + 1)))
        {
            var pay = new JsonObject
            {
                ["created_index"] = index,
                ["payment_hash"] = payment.PaymentHashHex,
                ["status"] = payment.State switch { FakePaymentState.Succeeded => "complete", FakePaymentState.Failed => "failed", _ => "pending" },
                ["destination"] = "03" + new string('d', 64),
                ["created_at"] = payment.CreatedAt.ToUnixTimeSeconds(),
                ["bolt11"] = payment.PaymentRequest,
            };
            if (payment.State != FakePaymentState.Failed)
            {
                pay["amount_msat"] = payment.AmountMsat;
            }

            // listpays.json: a complete payment has its completion time, preimage and amount sent; a failed one only the amount sent.
            if (payment.State == FakePaymentState.Succeeded)
            {
                pay["completed_at"] = payment.CompletedAt!.Value.ToUnixTimeSeconds();
                pay["amount_sent_msat"] = payment.AmountMsat + payment.FeeMsat;
                pay["preimage"] = Convert.ToHexStringLower(payment.Preimage!);
            }
            else if (payment.State == FakePaymentState.Failed)
            {
                pay["amount_sent_msat"] = 0;
            }

            pays.Add(pay);
        }

        return Created(new JsonObject { ["pays"] = pays });
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
