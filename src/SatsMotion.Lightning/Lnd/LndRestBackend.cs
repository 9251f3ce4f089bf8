using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Lightning.Bolt11;
using SatsMotion.Lightning.Connection;
using SatsMotion.Lightning.Http;

namespace SatsMotion.Lightning.Lnd;

/// <summary>
/// LND through its REST gateway: POST /v1/invoices, GET /v1/invoice/{r_hash hex}, GET /v1/getinfo, and for
/// pay-outs POST /v2/router/send (SendPaymentV2; SendPaymentSync is gone since 0.21). The hex macaroon goes in
/// Grpc-Metadata-macaroon; bytes fields are base64 and 64-bit integers JSON strings, as the gateway writes them.
/// A macaroon without info:read (LND's invoice.macaroon) is checked through /v1/state and /v1/invoices instead,
/// and then the network comes from the key network= or the node's latest invoice.
/// </summary>
public sealed class LndRestBackend(NodeClient node, string macaroonHex, Bolt11Network? configuredNetwork = null) : ILightningBackend
{
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
        return sp => new LndRestBackend(new NodeClient(sp.GetRequiredService<IHttpClientFactory>().CreateClient("lnd-rest"), $"LND at {server.Authority}"), macaroonHex, network);
    }

    public async Task<CreatedInvoice> CreateInvoiceAsync(long amountSat, string description, TimeSpan expiry, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["memo"] = description,
            ["value"] = amountSat.ToString(CultureInfo.InvariantCulture),
            ["expiry"] = ((long)expiry.TotalSeconds).ToString(CultureInfo.InvariantCulture),
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
            // NotFound (gRPC 5, HTTP 404); older releases answered code 2 "unable to locate invoice" with HTTP 500.
            return Message(reply)?.Contains("unable to locate invoice", StringComparison.OrdinalIgnoreCase) == true
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

    public async Task<PaymentResult> PayInvoiceAsync(string paymentRequest, long maxFeeSat, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["payment_request"] = paymentRequest,
            ["fee_limit_sat"] = maxFeeSat.ToString(CultureInfo.InvariantCulture),
            ["timeout_seconds"] = 60,
            ["no_inflight_updates"] = true,
        };
        var reply = await SendAsync(HttpMethod.Post, "v2/router/send", body, cancellationToken);
        if (!reply.IsSuccess)
        {
            throw PermissionDenied(reply) ? CannotPay() : Failure(reply, "SendPaymentV2");
        }

        // A stream of {"result": Payment} or {"error": {...}} lines, ending with the final state.
        JsonNode? last = null;
        foreach (var line in reply.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            last = JsonNode.Parse(line);
        }

        if (last?["error"] is JsonObject error)
        {
            var message = error["message"]?.GetValue<string>() ?? "";
            throw message.Contains("permission denied", StringComparison.OrdinalIgnoreCase) ? CannotPay()
                : new LightningBackendException(LightningFailure.PaymentFailed, $"{node.Node} could not pay: {message}");
        }

        var payment = last?["result"] ?? throw node.Malformed("SendPaymentV2", "no result");
        return payment["status"]?.GetValue<string>() switch
        {
            "SUCCEEDED" => new PaymentResult(Convert.FromHexString(payment["payment_preimage"]!.GetValue<string>()), Int64(payment["fee_msat"])),
            "FAILED" => throw new LightningBackendException(LightningFailure.PaymentFailed, $"{node.Node} could not pay: {payment["failure_reason"]?.GetValue<string>()}"),
            var status => throw new LightningBackendException(LightningFailure.PaymentFailed, $"{node.Node}: payment still {status} when the call ended; check the node before paying again"),
        };
    }

    private LightningBackendException CannotPay() =>
        new(LightningFailure.NotPermitted, $"{node.Node}: this macaroon may not pay (it needs offchain:write, e.g. admin.macaroon)");

    private Task<NodeReply> SendAsync(HttpMethod method, string path, JsonObject? body, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Add("Grpc-Metadata-macaroon", macaroonHex);
        return node.SendAsync(request, cancellationToken);
    }

    // LND answers every macaroon problem with gRPC code 2 (HTTP 500), which must not read as an outage.
    private static readonly string[] MacaroonRefusals = ["verification failed", "expected 1 macaroon", "invalid ID", "macaroon has expired", "cannot get macaroon", "encoding/hex"];

    private LightningBackendException Failure(NodeReply reply, string call) =>
        MacaroonRefusals.Any(m => Message(reply)?.Contains(m, StringComparison.OrdinalIgnoreCase) == true)
            ? new LightningBackendException(LightningFailure.Refused, $"{node.Node} {call}: {Message(reply)}")
            : node.Failure(reply, call, Message(reply));

    private static bool PermissionDenied(NodeReply reply) => Message(reply)?.Contains("permission denied", StringComparison.OrdinalIgnoreCase) == true;

    // grpc-gateway errors: {"code": 2, "message": "...", "details": []}.
    private static string? Message(NodeReply reply) => reply.Json?["message"]?.GetValue<string>() ?? reply.Json?["error"]?.GetValue<string>();

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
