using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SatsMotion.Lightning.Bolt11;

namespace SatsMotion.Backends.Tests.Phoenixd;

/// <summary>
/// Stands in for phoenixd v0.8.0 (de6f8ae, src/commonMain/kotlin/fr/acinq/phoenixd/api/Api.kt; no machine-readable
/// definition is published): GET /getinfo, POST /createinvoice (form: description, amountSat, expirySeconds,
/// externalId), GET /payments/incoming/{paymentHash}, POST /payinvoice (form: invoice; full-access password only;
/// answers when the payment is final, with no timeout; a failure is 200 {paymentHash, reason}, an invoice paid or
/// being paid already is refused with such a reason), GET /payments/outgoingbyhash/{paymentHash} ({paymentId,
/// paymentHash, preimage, isPaid, sent, fees msat, invoice, completedAt, createdAt}: failed is completedAt set unpaid).
/// Basic auth where only the password counts (http-password or http-password-limited-access); JSON replies without
/// null fields; errors as plain text: 401 for a password refused, 400 for a bad parameter, 404 "Not found" for an
/// unknown payment hash. Outgoing payments cost ACINQ's trampoline fee, 4 sat + 0.4% (conf/Lsp.kt). Plain HTTP on
/// loopback, as phoenixd listens.
/// </summary>
public sealed class FakePhoenixdNode : FakeNode
{
    public const string FullAccessPassword = "9b1f0c4e7d2a8f3b6c5e1d0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e";

    public const string LimitedAccessPassword = "4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b";

    /// <summary>Fee phoenixd's LSP takes from incoming payments for an on-the-fly channel (0 when inbound liquidity suffices).</summary>
    public long LiquidityFeeSat { get; set; }

    /// <summary>Every Authorization header received, to check how the client sends the password.</summary>
    public List<string> Authorizations { get; } = [];

    public List<string> ExternalIds { get; } = [];

    protected override void Map(WebApplication app)
    {
        app.MapGet("/getinfo", (HttpContext context) => Access(context) is null ? Unauthorized() : Results.Json(new
        {
            nodeId = "03" + new string('b', 64),
            channels = new[]
            {
                new { state = "Normal", channelId = new string('c', 64), balanceSat = 150_000, inboundLiquiditySat = 1_850_000, capacitySat = 2_000_000, fundingTxId = new string('d', 64) },
            },
            chain = "regtest", // the real one says mainnet or testnet3; regtest fits the fake's invoices
            blockHeight = 800,
            version = "0.8.0-de6f8ae",
        }));
        app.MapPost("/createinvoice", async (HttpContext context) =>
        {
            if (Access(context) is null)
            {
                return Unauthorized();
            }

            var form = await context.Request.ReadFormAsync();
            string? description = form["description"];
            if (description is null || description.Length > 128)
            {
                return Text(400, description is null ? "Must provide either a description or descriptionHash" : "Request parameter description is too long (max 128 characters)");
            }

            if (!long.TryParse(form["amountSat"], NumberStyles.None, CultureInfo.InvariantCulture, out var amountSat)
                || !long.TryParse(form["expirySeconds"].ToString() is { Length: > 0 } e ? e : "86400", NumberStyles.None, CultureInfo.InvariantCulture, out var expirySeconds))
            {
                return Text(400, "Request parameter amountSat couldn't be parsed/converted to integer");
            }

            if (form["externalId"].ToString() is { Length: > 0 } externalId)
            {
                ExternalIds.Add(externalId);
            }

            var invoice = CreateInvoice(amountSat * 1000, description, TimeSpan.FromSeconds(expirySeconds));
            return Results.Json(new { amountSat = invoice.AmountMsat / 1000, paymentHash = Convert.ToHexStringLower(ReportedHash(invoice)), serialized = invoice.PaymentRequest });
        });
        app.MapGet("/payments/incoming/{paymentHash}", (string paymentHash, HttpContext context) =>
        {
            if (Access(context) is null)
            {
                return Unauthorized();
            }

            if (paymentHash.Length != 64 || !paymentHash.All(char.IsAsciiHexDigit))
            {
                return Text(400, "Request parameter paymentHash couldn't be parsed/converted to hex32");
            }

            var invoice = Find(paymentHash);
            if (invoice is null)
            {
                return Text(404, "Not found");
            }

            var paid = invoice.SettledAt is not null;
            var fees = paid ? LiquidityFeeSat * 1000 : 0;
            var payment = new Dictionary<string, object?>
            {
                ["type"] = "incoming_payment",
                ["subType"] = "lightning",
                ["paymentHash"] = invoice.PaymentHashHex,
                ["preimage"] = Convert.ToHexStringLower(invoice.Preimage),
                ["description"] = invoice.Description,
                ["invoice"] = invoice.PaymentRequest,
                ["isPaid"] = paid,
                ["isExpired"] = DateTimeOffset.UtcNow > invoice.ExpiresAt,
                ["requestedSat"] = invoice.AmountMsat / 1000,
                ["receivedSat"] = paid ? (invoice.AmountMsat - fees) / 1000 : 0,
                ["fees"] = fees,
                ["expiresAt"] = invoice.ExpiresAt.ToUnixTimeMilliseconds(),
                ["completedAt"] = invoice.SettledAt?.ToUnixTimeMilliseconds(),
                ["createdAt"] = invoice.CreatedAt.ToUnixTimeMilliseconds(),
            };
            return Results.Json(payment.Where(field => field.Value is not null).ToDictionary());
        });
        app.MapPost("/payinvoice", async (HttpContext context) =>
        {
            if (Access(context) != FullAccessPassword)
            {
                return Unauthorized();
            }

            var form = await context.Request.ReadFormAsync();
            string? text = form["invoice"];
            if (text is null)
            {
                return Text(400, "Request parameter invoice is missing");
            }

            if (!Bolt11Codec.TryDecode(text, out var invoice, out _))
            {
                return Text(400, "Request parameter invoice couldn't be parsed/converted to bolt11invoice");
            }

            if (invoice!.AmountMsat is not { } amountMsat)
            {
                return Text(400, "Request parameter amountSat is missing");
            }

            // lightning-kmp 1.12.0 OutgoingPaymentHandler.sendPaymentInternal: the fee of phoenixd's one trampoline level
            // (conf/Lsp.kt: 4 sat + 4,000 ppm) on the recipient's amount, the remainder dropped (eclair.kt nodeFee).
            var payment = StartPayout(text, null, out var existing, feeMsat: 4_000 + (amountMsat * 4_000 / 1_000_000));
            if (existing)
            {
                return Results.Json(new
                {
                    paymentHash = invoice.PaymentHashHex,
                    reason = payment.State == FakePaymentState.Succeeded ? "this invoice has already been paid" : "another payment is in progress for that invoice",
                });
            }

            await payment.Final;
            if (payment.State == FakePaymentState.Failed)
            {
                return Results.Json(new { paymentHash = invoice.PaymentHashHex, reason = "route not found" });
            }

            return Results.Json(new
            {
                recipientAmountSat = amountMsat / 1000,
                routingFeeSat = payment.FeeMsat / 1000,
                paymentId = payment.Id,
                paymentHash = invoice.PaymentHashHex,
                paymentPreimage = Convert.ToHexStringLower(payment.Preimage!),
            });
        });
        app.MapGet("/payments/outgoingbyhash/{paymentHash}", (string paymentHash, HttpContext context) =>
        {
            if (Access(context) is null)
            {
                return Unauthorized();
            }

            var payment = FindOutgoing(paymentHash);
            if (payment is null)
            {
                return Text(404, "Not found");
            }

            var fields = new Dictionary<string, object?>
            {
                ["type"] = "outgoing_payment",
                ["subType"] = "lightning",
                ["paymentId"] = payment.Id,
                ["paymentHash"] = payment.PaymentHashHex,
                ["preimage"] = payment.Preimage is { } preimage ? Convert.ToHexStringLower(preimage) : null,
                ["isPaid"] = payment.State == FakePaymentState.Succeeded,
                ["sent"] = payment.State == FakePaymentState.Succeeded ? (payment.AmountMsat + payment.FeeMsat) / 1000 : 0,
                ["fees"] = payment.FeeMsat,
                ["invoice"] = payment.PaymentRequest,
                ["completedAt"] = payment.CompletedAt?.ToUnixTimeMilliseconds(),
                ["createdAt"] = payment.CreatedAt.ToUnixTimeMilliseconds(),
            };
            return Results.Json(fields.Where(field => field.Value is not null).ToDictionary());
        });
    }

    // Ktor's basic auth as phoenixd configures it: the user name is ignored, the password picks the access level.
    private string? Access(HttpContext context)
    {
        var header = Header(context, "Authorization");
        if (header is null)
        {
            return null;
        }

        lock (Authorizations)
        {
            Authorizations.Add(header);
        }

        if (!header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            return null;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..]));
        }
        catch (FormatException)
        {
            return null;
        }

        var password = decoded[(decoded.IndexOf(':', StringComparison.Ordinal) + 1)..];
        return Same(password, FullAccessPassword) ? FullAccessPassword : Same(password, LimitedAccessPassword) ? LimitedAccessPassword : null;
    }

    private static bool Same(string a, string b) => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    private static IResult Unauthorized() => Text(401, "Invalid authentication (use basic auth with the http password set in phoenix.conf)");

    private static IResult Text(int status, string text) => Results.Text(text, "text/plain", Encoding.UTF8, status);
}
