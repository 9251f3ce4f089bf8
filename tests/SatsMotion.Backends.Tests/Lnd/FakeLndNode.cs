using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace SatsMotion.Backends.Tests.Lnd;

/// <summary>
/// Stands in for LND's REST gateway as lnd 90ea05d serves it (grpc-gateway v2.16.0, runtime/handler.go and errors.go;
/// lnrpc/lightning.swagger.json, routerrpc/router.swagger.json; rpcserver.go, invoicesrpc/addinvoice.go,
/// routerrpc/router_server.go, payments/db/errors.go): POST /v1/invoices (AddInvoice; route hints only when private is
/// true), GET /v1/invoice/{r_hash_str} (hash in hex; NotFound "unable to locate invoice", or "there are no existing
/// invoices" on a node that never made one), GET /v1/invoices, GET /v1/getinfo, GET /v1/state (no macaroon),
/// POST /v2/router/send (SendPaymentV2) and GET /v2/router/track/{payment_hash} (TrackPaymentV2, the hash URL-safe
/// base64). Unary errors are {code, message, details} with the HTTP status of the gRPC code; the two streaming
/// calls answer one {"result": Payment} per line, and an error before the first line is the status of its code with
/// {"error": {code, message, details}} — a macaroon without offchain:write "permission denied" (code 2, 500), an
/// invoice paid or in flight AlreadyExists (6, 409), an expired one or one of another network code 2 — and an error
/// after the first line is one more {"error"} line under the status 200 already sent (handleForwardResponseStreamError
/// with wroteHeader). SendPaymentV2 writes in-flight updates only without no_inflight_updates (trackPaymentStream,
/// which since 922130c skips INITIATED and IN_FLIGHT with it). Bytes fields are standard base64 (hex in
/// Payment), int64 fields JSON strings; the macaroon comes hex in Grpc-Metadata-macaroon. Served over HTTPS with a
/// self-signed certificate, as LND does.
/// </summary>
public sealed class FakeLndNode : FakeNode
{
    public const string AdminMacaroon = "0201036c6e6402f801030a1011aa22bb33cc44dd55ee66ff";

    /// <summary>Baked with info:read invoices:read invoices:write: what SatsMotion needs to take payments.</summary>
    public const string ReceiveMacaroon = "0201036c6e640258030a10ab12cd34ef56ab7801";

    /// <summary>LND's own invoice.macaroon: invoices, addresses and on-chain reads, but not info:read.</summary>
    public const string InvoiceMacaroon = "0201036c6e640258030a10ab12cd34ef56ab78";

    private const string Delimiter = "\n";

    protected override bool UseTls => true;

    /// <summary>The "private" flag of the last AddInvoice (null when the field was not sent).</summary>
    public bool? LastPrivate { get; private set; }

    public long? LastFeeLimitSat { get; private set; }

    /// <summary>
    /// LND shuts down while paying: trackPaymentStream ends with errServerShuttingDown (code 2) while the payment
    /// stays in flight in its database (resumed at the next start).
    /// </summary>
    public bool ShutsDownWhilePaying { get; set; }

    /// <summary>
    /// Writes in-flight updates even when no_inflight_updates is set. Not lnd 90ea05d (922130c, v0.18.0, skips them);
    /// a stand-in for whatever puts an in-flight line before the end of a pay-out stream.
    /// </summary>
    public bool IgnoresNoInflightUpdates { get; set; }

    /// <summary>While set, SendPaymentV2 waits for it before PreparePayment registers the payment: a pay-out on its way that the node has no record of yet.</summary>
    public TaskCompletionSource? PayoutArrival { get; set; }

    protected override void Map(WebApplication app)
    {
        app.MapPost("/v1/invoices", async (HttpContext context) =>
        {
            if (Refusal(context, "invoices") is { } refused)
            {
                return refused;
            }

            var body = (await context.Request.ReadFromJsonAsync<JsonNode>())!;
            LastPrivate = body["private"]?.GetValue<bool>();
            var invoice = CreateInvoice(long.Parse(body["value"]!.ToString(), CultureInfo.InvariantCulture) * 1000, body["memo"]?.GetValue<string>() ?? "",
                TimeSpan.FromSeconds(long.Parse(body["expiry"]?.ToString() ?? "86400", CultureInfo.InvariantCulture)), routeHint: LastPrivate == true);
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
                // ErrNoInvoicesCreated until the node's first invoice (channeldb/invoices.go), then ErrInvoiceNotFound.
                return Error(404, 5, CreateCalls == 0 ? "there are no existing invoices" : "unable to locate invoice");
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
            // The macaroon interceptor runs on the stream, so its refusal is a stream error.
            if (Refusal(context, "offchain", streaming: true) is { } refused)
            {
                return refused;
            }

            var body = (await context.Request.ReadFromJsonAsync<JsonNode>())!;
            LastFeeLimitSat = long.Parse(body["fee_limit_sat"]!.GetValue<string>(), CultureInfo.InvariantCulture);
            var request = body["payment_request"]!.GetValue<string>();
            var invoice = SatsMotion.Lightning.Bolt11.Bolt11Codec.Decode(request);
            if (invoice.Network != SatsMotion.Lightning.Bolt11.Bolt11Network.Regtest)
            {
                // zpay32.Decode with the node's chain parameters, the first check of extractIntentFromSendRequest.
                return StreamError(500, 2, "invoice not for current active network 'regtest'");
            }

            if (invoice.ExpiresAt <= DateTimeOffset.UtcNow)
            {
                // router_backend.go ValidatePayReqExpiry.
                return StreamError(500, 2, $"invoice expired. Valid until {invoice.ExpiresAt:yyyy-MM-dd HH:mm:ss} +0000 UTC");
            }

            if (PayoutArrival is { } arrival)
            {
                await arrival.Task;
            }

            var payment = StartPayout(request, LastFeeLimitSat * 1000, out var existing);
            if (existing)
            {
                // PreparePayment: ErrAlreadyPaid / ErrPaymentInFlight as codes.AlreadyExists.
                return StreamError(409, 6, payment.State == FakePaymentState.Succeeded ? "invoice is already paid" : "payment is in transition");
            }

            // no_inflight_updates: nothing is written until the payment is final; it goes on if the caller hangs up.
            var inflightUpdates = body["no_inflight_updates"]?.GetValue<bool>() != true || IgnoresNoInflightUpdates;
            if (ShutsDownWhilePaying)
            {
                return inflightUpdates ? new PaymentStream(payment, breaksOff: true) : StreamError(500, 2, ShuttingDown);
            }

            if (inflightUpdates)
            {
                return new PaymentStream(payment, breaksOff: false);
            }

            await payment.Final;
            return Results.Text(Line(new JsonObject { ["result"] = Payment(payment) }), "application/json");
        });
        app.MapGet("/v2/router/track/{hash}", (string hash, HttpContext context) =>
        {
            if (Refusal(context, "offchain", streaming: true) is { } refused)
            {
                return refused;
            }

            // runtime.Bytes: standard base64, else URL-safe; a standard '/' would have split the path.
            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(hash.Replace('-', '+').Replace('_', '/'));
            }
            catch (FormatException)
            {
                return Error(400, 3, $"type mismatch, parameter: payment_hash, error: illegal base64 data");
            }

            var payment = FindOutgoing(Convert.ToHexStringLower(bytes));
            if (payment is null)
            {
                return StreamError(404, 5, "payment isn't initiated");
            }

            // The current state first; the stream then stays open until the payment is final.
            return new StreamedPayment(payment);
        });
    }

    private static JsonObject Payment(FakeOutgoing payment) => new()
    {
        ["payment_hash"] = payment.PaymentHashHex,
        ["value"] = (payment.AmountMsat / 1000).ToString(CultureInfo.InvariantCulture),
        ["creation_date"] = payment.CreatedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
        ["fee"] = (payment.FeeMsat / 1000).ToString(CultureInfo.InvariantCulture),
        ["payment_preimage"] = payment.Preimage is { } preimage ? Convert.ToHexStringLower(preimage) : new string('0', 64),
        ["value_sat"] = (payment.AmountMsat / 1000).ToString(CultureInfo.InvariantCulture),
        ["value_msat"] = payment.AmountMsat.ToString(CultureInfo.InvariantCulture),
        ["payment_request"] = payment.PaymentRequest,
        ["status"] = payment.State switch { FakePaymentState.Succeeded => "SUCCEEDED", FakePaymentState.Failed => "FAILED", _ => "IN_FLIGHT" },
        ["fee_sat"] = (payment.FeeMsat / 1000).ToString(CultureInfo.InvariantCulture),
        ["fee_msat"] = payment.FeeMsat.ToString(CultureInfo.InvariantCulture),
        ["creation_time_ns"] = (payment.CreatedAt.ToUnixTimeMilliseconds() * 1_000_000).ToString(CultureInfo.InvariantCulture),
        ["htlcs"] = new JsonArray(),
        ["payment_index"] = "1",
        ["failure_reason"] = payment.State == FakePaymentState.Failed ? "FAILURE_REASON_NO_ROUTE" : "FAILURE_REASON_NONE",
        ["first_hop_custom_records"] = new JsonObject(),
    };

    private static string Line(JsonNode line) => line.ToJsonString() + Delimiter;

    // router_server.go errServerShuttingDown.
    private const string ShuttingDown = "routerrpc server shutting down";

    private static JsonObject ErrorChunk(int code, string message) => new() { ["error"] = new JsonObject { ["code"] = code, ["message"] = message, ["details"] = new JsonArray() } };

    /// <summary>SendPaymentV2 with in-flight updates: IN_FLIGHT first, then the final state, or the shutdown error.</summary>
    private sealed class PaymentStream(FakeOutgoing payment, bool breaksOff) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(Line(new JsonObject { ["result"] = Payment(payment) }), context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            if (!breaksOff)
            {
                await payment.Final.WaitAsync(context.RequestAborted);
            }

            await context.Response.WriteAsync(Line(breaksOff ? ErrorChunk(2, ShuttingDown) : new JsonObject { ["result"] = Payment(payment) }), context.RequestAborted);
        }
    }

    /// <summary>TrackPaymentV2's answer: the state now, then the final state when it changes, then the end.</summary>
    private sealed class StreamedPayment(FakeOutgoing payment) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            context.Response.ContentType = "application/json";
            var first = payment.State;
            await context.Response.WriteAsync(Line(new JsonObject { ["result"] = Payment(payment) }), context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            if (first == FakePaymentState.InFlight)
            {
                await payment.Final.WaitAsync(context.RequestAborted);
                await context.Response.WriteAsync(Line(new JsonObject { ["result"] = Payment(payment) }), context.RequestAborted);
            }
        }
    }

    // LND checks the macaroon's permissions per call (entity:action); the fake knows three macaroons.
    private static IResult? Refusal(HttpContext context, string entity, bool streaming = false)
    {
        var granted = Header(context, "Grpc-Metadata-macaroon") switch
        {
            AdminMacaroon => ["info", "invoices", "offchain"],
            ReceiveMacaroon => ["info", "invoices"],
            InvoiceMacaroon => new[] { "invoices" },
            _ => null,
        };
        var message = granted is null ? "verification failed: signature mismatch after caveat verification" : granted.Contains(entity) ? null : "permission denied";
        return message is null ? null : streaming ? StreamError(500, 2, message) : Error(500, 2, message);
    }

    // Unary: google.rpc.Status as the body (DefaultHTTPErrorHandler).
    private static IResult Error(int status, int code, string message) => Results.Json(new { code, message, details = Array.Empty<object>() }, statusCode: status);

    // A stream that fails before its first message (handleForwardResponseStreamError): the same status, wrapped, one line.
    private static IResult StreamError(int status, int code, string message) => Results.Text(Line(ErrorChunk(code, message)), "application/json", statusCode: status);
}
