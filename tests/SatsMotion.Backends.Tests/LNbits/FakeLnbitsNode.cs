using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SatsMotion.Lightning.Bolt11;

namespace SatsMotion.Backends.Tests.LNbits;

/// <summary>
/// Stands in for one LNbits wallet as lnbits v1.5.2-rc3 (7d98c6b; no machine-readable definition beyond the
/// generated /docs) serves it, following lnbits/core/views/payment_api.py, wallet_api.py, services/payments.py,
/// crud/payments.py, exceptions.py and decorators.py: GET /api/v1/wallet ({name, balance msat}, id only for the admin
/// key), POST /api/v1/payments (out defaults to true; out=false with amount in sats creates an invoice, 201 with the
/// payment; out=true pays with the admin key only, 403 "Invoice (or Admin) key required." otherwise, 201 "pending"
/// when the funding source takes longer than 5 s, 520 {detail, status} on a PaymentError: "failed", or "success"
/// with "Payment already paid." for a hash paid already, "pending" for one on its way), GET
/// /api/v1/payments/{payment_hash} ({paid, status, preimage, details}; an outgoing payment before an incoming one of the
/// same hash, ORDER BY amount; details only when the key's wallet is the payment's, 404 "Payment does not exist."),
/// GET /api/v1/payments/fee-reserve (LNbits' default reserve: max(2 sat, 1%)). The key comes in X-Api-Key; an unknown
/// key is 404 "Wallet not found.", none 401 "No Api Key provided."; errors are {"detail": "..."}. Amounts in payments
/// are msat, negative for outgoing. Like LNbits with some funding sources, a pending invoice already shows its preimage.
/// </summary>
public sealed class FakeLnbitsNode : FakeNode
{
    public const string AdminKey = "5a1b2c3d4e5f60718293a4b5c6d7e8f9";

    public const string InvoiceKey = "0f9e8d7c6b5a49382716a5b4c3d2e1f0";

    private const string WalletId = "c0ffee00c0ffee00c0ffee00c0ffee00";

    public List<JsonNode> CreateRequests { get; } = [];

    /// <summary>Answer lookups without "details", as LNbits does when the key's wallet is not the payment's own.</summary>
    public bool OmitDetails { get; set; }

    /// <summary>lnbits_funding_source_pay_invoice_wait_seconds: how long a payment is waited for before 201 "pending".</summary>
    public TimeSpan PaymentWait { get; set; } = TimeSpan.FromSeconds(5);

    protected override void Map(WebApplication app)
    {
        app.MapGet("/api/v1/wallet", (HttpContext context) => Key(context, out var key) ?? Results.Json(key == AdminKey
            ? new JsonObject { ["id"] = WalletId, ["name"] = "SatsMotion", ["balance"] = 1_000_000_000 }
            : new JsonObject { ["name"] = "SatsMotion", ["balance"] = 1_000_000_000 }));
        app.MapGet("/api/v1/payments/fee-reserve", (string invoice) =>
        {
            var amountMsat = Bolt11Codec.Decode(invoice).AmountMsat;
            return amountMsat is null ? Detail(400, "Invoice has no amount.") : Results.Json(new { fee_reserve = FeeReserveMsat(amountMsat.Value) });
        });
        app.MapPost("/api/v1/payments", async (HttpContext context) =>
        {
            if (Key(context, out var key) is { } refused)
            {
                return refused;
            }

            var body = (await context.Request.ReadFromJsonAsync<JsonNode>())!;
            if (body["out"]?.GetValue<bool>() ?? true)
            {
                return key != AdminKey ? Detail(403, "Invoice (or Admin) key required.") : await PayOutAsync(body["bolt11"]?.GetValue<string>());
            }

            lock (CreateRequests)
            {
                CreateRequests.Add(body);
            }

            var amount = body["amount"]?.GetValue<double>() ?? 0;
            if (body["unit"]?.GetValue<string>() is not (null or "sat") || amount <= 0 || amount != Math.Floor(amount))
            {
                return Results.Json(new { detail = "Amountless invoices not supported.", status = "failed" }, statusCode: 520);
            }

            var invoice = CreateInvoice((long)amount * 1000, body["memo"]?.GetValue<string>() ?? "", TimeSpan.FromSeconds(body["expiry"]?.GetValue<long>() ?? 3600));
            var payment = Payment(invoice, ReportedHash(invoice));
            return Results.Json(payment, statusCode: 201);
        });
        app.MapGet("/api/v1/payments/{payment_hash}", (string payment_hash, HttpContext context) =>
        {
            // Works without a key too; a key of this wallet adds "details" and limits the search to the wallet.
            var own = Header(context, "X-Api-Key") is AdminKey or InvoiceKey && !OmitDetails;
            if (FindOutgoing(payment_hash) is { } outgoing)
            {
                return Results.Json(Lookup(outgoing.State switch { FakePaymentState.Succeeded => "success", FakePaymentState.Failed => "failed", _ => "pending" },
                    outgoing.Preimage, own ? OutgoingPayment(outgoing) : null));
            }

            var invoice = Find(payment_hash);
            if (invoice is null)
            {
                return Detail(404, "Payment does not exist.");
            }

            var status = invoice.SettledAt is not null ? "success" : invoice.IsExpired ? "failed" : "pending";
            return Results.Json(Lookup(status, invoice.Preimage, own ? Payment(invoice, invoice.PaymentHash) : null));
        });
    }

    // api_payment: paid carries the preimage and no top-level status; failed neither; pending both.
    private static JsonObject Lookup(string status, byte[]? preimage, JsonObject? details)
    {
        var reply = new JsonObject { ["paid"] = status == "success" };
        if (status != "failed" && preimage is not null)
        {
            reply["preimage"] = Convert.ToHexStringLower(preimage);
        }

        if (status != "success")
        {
            reply["status"] = status;
        }

        if (details is not null)
        {
            reply["details"] = details;
        }

        return reply;
    }

    /// <summary>LNbits' default fee reserve: lnbits_reserve_fee_min 2000 msat, lnbits_reserve_fee_percent 1.0.</summary>
    public static long FeeReserveMsat(long amountMsat) => Math.Max(2000, amountMsat / 100);

    private async Task<IResult> PayOutAsync(string? bolt11)
    {
        if (bolt11 is null)
        {
            return Detail(400, "Missing BOLT11 invoice");
        }

        var payment = StartPayout(bolt11, FeeReserveMsat(Bolt11Codec.Decode(bolt11).AmountMsat ?? 0), out var existing);
        if (existing)
        {
            // _verify_external_payment: a payment of this hash exists on the instance.
            return payment.State == FakePaymentState.Succeeded
                ? Results.Json(new { detail = "Payment already paid.", status = "success" }, statusCode: 520)
                : Results.Json(new { detail = "Payment is still pending.", status = "pending" }, statusCode: 520);
        }

        if (await Task.WhenAny(payment.Final, Task.Delay(PaymentWait)) != payment.Final)
        {
            return Results.Json(OutgoingPayment(payment), statusCode: 201); // still pending
        }

        return payment.State == FakePaymentState.Failed
            ? Results.Json(new { detail = $"Payment failed: {payment.FailureReason}", status = "failed" }, statusCode: 520)
            : Results.Json(OutgoingPayment(payment), statusCode: 201);
    }

    private static JsonObject OutgoingPayment(FakeOutgoing payment)
    {
        var invoice = Bolt11Codec.Decode(payment.PaymentRequest);
        return new JsonObject
        {
            ["checking_id"] = payment.PaymentHashHex,
            ["payment_hash"] = payment.PaymentHashHex,
            ["wallet_id"] = WalletId,
            ["amount"] = -payment.AmountMsat,
            ["fee"] = payment.State == FakePaymentState.Succeeded ? -payment.FeeMsat : -FeeReserveMsat(payment.AmountMsat),
            ["bolt11"] = payment.PaymentRequest,
            ["payment_request"] = payment.PaymentRequest,
            ["status"] = payment.State switch { FakePaymentState.Succeeded => "success", FakePaymentState.Failed => "failed", _ => "pending" },
            ["preimage"] = payment.Preimage is { } preimage ? Convert.ToHexStringLower(preimage) : null,
            ["memo"] = invoice.Description,
            ["time"] = payment.CreatedAt.ToString("O"),
            ["created_at"] = payment.CreatedAt.ToString("O"),
            ["updated_at"] = (payment.CompletedAt ?? payment.CreatedAt).ToString("O"),
            ["labels"] = new JsonArray(),
            ["extra"] = new JsonObject(),
        };
    }

    // The Payment model as LNbits 1.x serialises it: amount and fee in msat, expiry and times as ISO dates.
    private static JsonObject Payment(FakeInvoice invoice, byte[] reportedHash) => new()
    {
        ["checking_id"] = invoice.PaymentHashHex,
        ["payment_hash"] = Convert.ToHexStringLower(reportedHash),
        ["wallet_id"] = WalletId,
        ["amount"] = invoice.AmountMsat,
        ["fee"] = 0,
        ["bolt11"] = invoice.PaymentRequest,
        ["payment_request"] = invoice.PaymentRequest,
        ["status"] = invoice.SettledAt is not null ? "success" : invoice.IsExpired ? "failed" : "pending",
        ["memo"] = invoice.Description,
        ["expiry"] = invoice.ExpiresAt.ToString("O"),
        ["preimage"] = Convert.ToHexStringLower(invoice.Preimage),
        ["time"] = invoice.CreatedAt.ToString("O"),
        ["created_at"] = invoice.CreatedAt.ToString("O"),
        ["updated_at"] = (invoice.SettledAt ?? invoice.CreatedAt).ToString("O"),
        ["labels"] = new JsonArray(),
        ["extra"] = new JsonObject(),
    };

    // decorators.py: no key is 401, a key of no wallet 404; either key opens the wallet, only the admin key pays.
    private static IResult? Key(HttpContext context, out string? key)
    {
        key = Header(context, "X-Api-Key");
        return key is null ? Detail(401, "No Api Key provided.")
            : Same(key, AdminKey) || Same(key, InvoiceKey) ? null
            : Detail(404, "Wallet not found.");
    }

    private static bool Same(string a, string b) => CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(a), System.Text.Encoding.UTF8.GetBytes(b));

    private static IResult Detail(int status, string detail) => Results.Json(new { detail }, statusCode: status);
}
