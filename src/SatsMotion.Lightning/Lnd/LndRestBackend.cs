using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Lightning.Bolt11;
using SatsMotion.Lightning.Connection;
using SatsMotion.Lightning.Http;

namespace SatsMotion.Lightning.Lnd;

/// <summary>
/// LND through its REST gateway (lnd 90ea05d, grpc-gateway v2.16.0): POST /v1/invoices, GET /v1/invoice/{r_hash hex},
/// GET /v1/getinfo, and for pay-outs POST /v2/router/send (SendPaymentV2; SendPaymentSync is gone since 0.21) and
/// GET /v2/router/track/{hash} (TrackPaymentV2). The hex macaroon goes in Grpc-Metadata-macaroon; bytes fields are
/// standard base64 and 64-bit integers JSON strings, as the gateway writes them. Invoices are private (route hints
/// to unannounced channels) unless routehints=false. A macaroon without info:read (LND's invoice.macaroon) is
/// checked through /v1/state and /v1/invoices instead, and then the network comes from the key network= or the
/// node's latest invoice.
/// </summary>
public sealed class LndRestBackend(NodeClient node, string macaroonHex, Bolt11Network? configuredNetwork = null, bool routeHints = true) : ILightningBackend
{
    // gRPC codes LND answers with (google.golang.org/grpc/codes): the gateway maps them to HTTP statuses.
    private const int InvalidArgument = 3;
    private const int NotFound = 5;
    private const int AlreadyExists = 6;

    // What SendPaymentV2 refuses before PreparePayment registers the payment, all code 2 (routerrpc/router_backend.go
    // extractIntentFromSendRequest and ValidatePayReqExpiry, zpay32/decode.go): nothing was sent. Any other code-2
    // error before the first message may come after the payment left (router_server.go trackPayment:
    // "routerrpc server shutting down", a payment it could not marshal), so it says nothing about the outcome.
    private static readonly string[] RefusedBeforeSending =
    [
        "invoice not for current active network", "invoice expired", "self-payments not allowed", "exceeds maximum possible amount",
    ];

    public string Name => $"LND REST at {node.Node}";

    public bool IsDevelopment => false;

    public static Func<IServiceProvider, ILightningBackend> Register(IServiceCollection services, LightningConnectionString connection)
    {
        var server = connection.RequiredUrl("server");
        var macaroon = connection.Optional("macaroon");
        var macaroonFile = connection.OptionalFile("macaroonfilepath");
        if ((macaroon is null) == (macaroonFile is null))
        {
            throw new LightningConfigurationException("SatsMotion:Lightning: type=lnd-rest needs exactly one of the keys 'macaroon' (hex) and 'macaroonfilepath'");
        }

        if (macaroon is not null && (macaroon.Length % 2 != 0 || !macaroon.All(char.IsAsciiHexDigit)))
        {
            throw new LightningConfigurationException("SatsMotion:Lightning: key 'macaroon' must be the macaroon in hex (or use 'macaroonfilepath')");
        }

        var macaroonHex = macaroon?.ToLowerInvariant() ?? Convert.ToHexStringLower(macaroonFile!);
        services.AddNodeHttpClient("lnd-rest", server, TlsTrust.FromConnection(connection));
        Bolt11Network? network = NodeNetworks.TryParse(connection.Optional("network"), out var named) ? named : null;
        var routeHints = connection.Flag("routehints", whenAbsent: true);
        return sp => new LndRestBackend(new NodeClient(sp.GetRequiredService<IHttpClientFactory>().CreateClient("lnd-rest"), $"LND at {server.Authority}"), macaroonHex, network, routeHints);
    }

    public async Task<CreatedInvoice> CreateInvoiceAsync(long amountSat, string description, TimeSpan expiry, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["memo"] = description,
            ["value"] = amountSat.ToString(CultureInfo.InvariantCulture),
            ["expiry"] = ((long)expiry.TotalSeconds).ToString(CultureInfo.InvariantCulture),

            // Hints to our unannounced channels (addinvoice.go adds them only when asked): behind an LSP, where all
            // inbound liquidity is private, an invoice without them cannot be routed to.
            ["private"] = routeHints,
        };
        var reply = await SendAsync(HttpMethod.Post, "v1/invoices", body, cancellationToken);
        if (!reply.IsSuccess)
        {
            throw Failure(reply, "AddInvoice");
        }

        var paymentRequest = reply.Json?["payment_request"]?.GetValue<string>() ?? throw node.Malformed("AddInvoice", "no payment_request");
        var hash = Base64(reply.Json?["r_hash"]) ?? throw node.Malformed("AddInvoice", "no r_hash");
        return new CreatedInvoice(paymentRequest, hash, DateTimeOffset.UtcNow + expiry);
    }

    public async Task<InvoiceStatus> LookupInvoiceAsync(byte[] paymentHash, CancellationToken cancellationToken)
    {
        var reply = await SendAsync(HttpMethod.Get, $"v1/invoice/{Convert.ToHexStringLower(paymentHash)}", null, cancellationToken);
        if (!reply.IsSuccess)
        {
            // NotFound (gRPC 5, HTTP 404): "unable to locate invoice", or on a node that never made one "there are no
            // existing invoices" (invoices/errors.go; code 2, HTTP 500 before 0.20).
            return Message(reply) is { } message && (message.Contains("unable to locate invoice", StringComparison.OrdinalIgnoreCase)
                || message.Contains("there are no existing invoices", StringComparison.OrdinalIgnoreCase))
                ? new InvoiceStatus(InvoiceState.Unknown)
                : throw Failure(reply, "LookupInvoice");
        }

        var invoice = reply.Json!;
        return invoice["state"]?.GetValue<string>() switch
        {
            "SETTLED" => new InvoiceStatus(InvoiceState.Settled, Base64(invoice["r_preimage"]), Int64(invoice["amt_paid_msat"])),
            "CANCELED" => new InvoiceStatus(InvoiceState.Expired),
            "OPEN" or "ACCEPTED" => new InvoiceStatus(InvoiceState.Open),
            var state => throw node.Malformed("LookupInvoice", $"state '{state}'"),
        };
    }

    public async Task<NodeInfo> GetInfoAsync(CancellationToken cancellationToken)
    {
        var reply = await SendAsync(HttpMethod.Get, "v1/getinfo", null, cancellationToken);
        if (!reply.IsSuccess)
        {
            return PermissionDenied(reply) ? await CheckWithoutInfoAsync(cancellationToken) : throw Failure(reply, "GetInfo");
        }

        var chain = reply.Json?["chains"]?.AsArray().FirstOrDefault();
        var name = chain?["network"]?.GetValue<string>();
        if (chain?["chain"]?.GetValue<string>() is not (null or "bitcoin") || !NodeNetworks.TryParse(name, out var network))
        {
            throw node.Malformed("GetInfo", $"unsupported chain {chain?.ToJsonString() ?? "(none)"}");
        }

        var synced = reply.Json?["synced_to_chain"]?.GetValue<bool>() ?? false;
        return new NodeInfo(network, synced, $"LND {reply.Json?["alias"]?.GetValue<string>()} ({reply.Json?["identity_pubkey"]?.GetValue<string>()})");
    }

    // invoice.macaroon: /v1/state (no macaroon) says the server is up, /v1/invoices proves the macaroon reads
    // invoices; the chain is the operator's network= or that of the node's latest invoice. Sync cannot be seen.
    private async Task<NodeInfo> CheckWithoutInfoAsync(CancellationToken cancellationToken)
    {
        var state = await node.SendAsync(new HttpRequestMessage(HttpMethod.Get, "v1/state"), cancellationToken);
        if (!state.IsSuccess || state.Json?["state"]?.GetValue<string>() != "SERVER_ACTIVE")
        {
            throw new LightningBackendException(LightningFailure.Unavailable, $"{node.Node} is not ready (state {state.Json?["state"]?.GetValue<string>() ?? $"HTTP {(int)state.Status}"})");
        }

        var invoices = await SendAsync(HttpMethod.Get, "v1/invoices?num_max_invoices=1&reversed=true", null, cancellationToken);
        if (!invoices.IsSuccess)
        {
            throw Failure(invoices, "ListInvoices");
        }

        var latest = invoices.Json?["invoices"]?.AsArray().FirstOrDefault()?["payment_request"]?.GetValue<string>();
        Bolt11Network? seen = latest is not null && Bolt11Codec.TryDecode(latest, out var decoded, out _) ? decoded!.Network : null;
        var network = configuredNetwork ?? seen ?? throw new LightningBackendException(LightningFailure.Refused,
            $"{node.Node}: this macaroon may not call getinfo, so the network is unknown; add network=mainnet (or testnet, signet, regtest) to the setting, or bake a macaroon with info:read");
        return new NodeInfo(network, true, "LND (macaroon without info:read: chain sync not visible)");
    }

    public async Task<PaymentResult> PayInvoiceAsync(string paymentRequest, long? maxFeeSat, CancellationToken cancellationToken)
    {
        var amountMsat = Bolt11Codec.Decode(paymentRequest).AmountMsat ?? 0;
        var body = new JsonObject
        {
            ["payment_request"] = paymentRequest,

            // SendPaymentV2 has no default limit (0 allows only fee-free routes): without ours, the common rule.
            ["fee_limit_sat"] = (maxFeeSat ?? PayoutFees.DefaultLimitSat(amountMsat)).ToString(CultureInfo.InvariantCulture),
            ["timeout_seconds"] = (int)NodeHttp.NodePaymentTimeout.TotalSeconds,
            ["no_inflight_updates"] = true,
        };
        var reply = await SendAsync(HttpMethod.Post, "v2/router/send", body, cancellationToken, payout: true);
        if (!reply.IsSuccess)
        {
            // An error before the first message (grpc-gateway's stream error: the gRPC status as HTTP status, body
            // {"error": Status}). With no_inflight_updates that first message is the final one, so this may be a
            // refusal (the macaroon, the request, PreparePayment) or a stream that broke off while paying.
            return GrpcError(reply) is { } error ? throw PaymentRefusal(reply, error)
                : throw new LightningBackendException(LightningFailure.PaymentInFlight, $"{node.Node} SendPaymentV2: HTTP {(int)reply.Status} without an answer from LND; the payment may still complete");
        }

        // A final {"result": Payment} decides; without one, an {"error"} line (after any in-flight result: the
        // gateway wrote the status 200 with the first message) is a stream that broke off while the payment goes on.
        var lines = Lines(reply);
        var payment = Payment(lines.LastOrDefault(line => line?["result"]?["status"]?.GetValue<string>() is "SUCCEEDED" or "FAILED") ?? lines.LastOrDefault(), "SendPaymentV2");
        return payment.State switch
        {
            PaymentState.Succeeded => new PaymentResult(payment.Preimage!, payment.FeePaidMsat),
            PaymentState.Failed => throw new LightningBackendException(LightningFailure.PaymentFailed, $"{node.Node} could not pay: {payment.FailureReason}"),
            _ => throw new LightningBackendException(LightningFailure.PaymentInFlight, $"{node.Node}: the payment is still in flight; it may still complete"),
        };
    }

    /// <summary>TrackPaymentV2: its first message is the payment's state now (the stream then stays open while it is in flight).</summary>
    public async Task<OutgoingPayment> LookupPaymentAsync(byte[] paymentHash, CancellationToken cancellationToken)
    {
        // The path takes the hash as URL-safe base64 with padding (runtime.Bytes; standard base64's '/' would split the path).
        var hash = Convert.ToBase64String(paymentHash).Replace('+', '-').Replace('/', '_');
        var request = new HttpRequestMessage(HttpMethod.Get, $"v2/router/track/{hash}");
        request.Headers.Add("Grpc-Metadata-macaroon", macaroonHex);
        var reply = await node.SendAsync(request, cancellationToken, firstLine: true);
        if (!reply.IsSuccess)
        {
            // "payment isn't initiated" (NotFound, 404): the node never started a payment of this hash.
            return GrpcError(reply)?["code"]?.GetValue<int>() == NotFound ? new OutgoingPayment(PaymentState.NotFound) : throw Failure(reply, "TrackPaymentV2");
        }

        var payment = Payment(reply.Json, "TrackPaymentV2");
        return new OutgoingPayment(payment.State, payment.Preimage, payment.FeePaidMsat);
    }

    private (PaymentState State, byte[]? Preimage, long FeePaidMsat, string? FailureReason) Payment(JsonNode? line, string call)
    {
        if (line?["error"] is JsonObject broken)
        {
            // The stream broke off after it started (LND shutting down): the payment itself goes on.
            throw new LightningBackendException(LightningFailure.PaymentInFlight, $"{node.Node} {call}: the stream ended with {broken["message"]}; the payment may still complete");
        }

        var payment = line?["result"] ?? throw node.Malformed(call, "no result");
        return payment["status"]?.GetValue<string>() switch
        {
            "SUCCEEDED" => (PaymentState.Succeeded, Convert.FromHexString(payment["payment_preimage"]!.GetValue<string>()), Int64(payment["fee_msat"]), null),
            "FAILED" => (PaymentState.Failed, null, 0, payment["failure_reason"]?.GetValue<string>()),
            "IN_FLIGHT" or "INITIATED" => (PaymentState.InFlight, null, 0, null),
            var status => throw node.Malformed(call, $"payment status '{status}'"),
        };
    }

    // AlreadyExists (409) is an invoice paid or being paid already: not by this call. The macaroon's refusals come
    // from the interceptor, before the call runs.
    private LightningBackendException PaymentRefusal(NodeReply reply, JsonObject error)
    {
        var message = error["message"]?.GetValue<string>() ?? "";
        var code = error["code"]?.GetValue<int>();
        return message.Contains("permission denied", StringComparison.OrdinalIgnoreCase) ? CannotPay()
            : MacaroonRefusals.Any(m => message.Contains(m, StringComparison.OrdinalIgnoreCase)) ? new LightningBackendException(LightningFailure.Refused, $"{node.Node} SendPaymentV2: {message}")
            : code == AlreadyExists ? new LightningBackendException(LightningFailure.PaymentFailed, $"{node.Node} will not pay it again: {message}")
            : code == InvalidArgument || RefusedBeforeSending.Any(m => message.Contains(m, StringComparison.OrdinalIgnoreCase))
                ? new LightningBackendException(LightningFailure.PaymentFailed, $"{node.Node} refused the payment: {message} (HTTP {(int)reply.Status})")
            : new LightningBackendException(LightningFailure.PaymentInFlight, $"{node.Node} SendPaymentV2 ended before its outcome: {message} (HTTP {(int)reply.Status}); the payment may still complete");
    }

    private LightningBackendException CannotPay() =>
        new(LightningFailure.NotPermitted, $"{node.Node}: this macaroon may not pay (it needs offchain:write, e.g. admin.macaroon)");

    private Task<NodeReply> SendAsync(HttpMethod method, string path, JsonObject? body, CancellationToken cancellationToken, bool payout = false)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Add("Grpc-Metadata-macaroon", macaroonHex);
        return node.SendAsync(payout ? request.Payout() : request, cancellationToken);
    }

    // A streamed answer is one JSON object per line.
    private static List<JsonNode?> Lines(NodeReply reply) =>
        reply.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(line => JsonNode.Parse(line)).ToList();

    // LND answers every macaroon problem with gRPC code 2 (HTTP 500), which must not read as an outage
    // (macaroons/service.go, rpcperms/interceptor.go, macaroon-bakery checker.go).
    private static readonly string[] MacaroonRefusals =
    [
        "verification failed", "expected 1 macaroon", "invalid ID", "macaroon has expired", "cannot get macaroon", "cannot retrieve macaroon",
        "encoding/hex", "unknown macaroon version", "empty macaroon data", "invalid macaroon header", "locked to different IP",
    ];

    private LightningBackendException Failure(NodeReply reply, string call) =>
        MacaroonRefusals.Any(m => Message(reply)?.Contains(m, StringComparison.OrdinalIgnoreCase) == true)
            ? new LightningBackendException(LightningFailure.Refused, $"{node.Node} {call}: {Message(reply)}")
            : node.Failure(reply, call, Message(reply));

    private static bool PermissionDenied(NodeReply reply) => Message(reply)?.Contains("permission denied", StringComparison.OrdinalIgnoreCase) == true;

    // grpc-gateway errors: unary {"code": 2, "message": "...", "details": []}; a stream refused before its first
    // message {"error": {"code", "message", "details"}} (runtime/handler.go, handleForwardResponseStreamError).
    private static JsonObject? GrpcError(NodeReply reply) => reply.Json is JsonObject json && (json["error"] as JsonObject ?? json) is var status
        && status["code"]?.GetValueKind() == System.Text.Json.JsonValueKind.Number && status["message"]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? status : null;

    private static string? Message(NodeReply reply) => GrpcError(reply)?["message"]?.GetValue<string>();

    private static byte[]? Base64(JsonNode? value)
    {
        var text = value?.GetValue<string>();
        return string.IsNullOrEmpty(text) ? null : Convert.FromBase64String(text.Replace('-', '+').Replace('_', '/'));
    }

    private static long Int64(JsonNode? value) => value?.GetValueKind() switch
    {
        System.Text.Json.JsonValueKind.String => long.Parse(value.GetValue<string>(), CultureInfo.InvariantCulture),
        System.Text.Json.JsonValueKind.Number => value.GetValue<long>(),
        _ => 0,
    };
}
