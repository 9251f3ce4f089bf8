using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Lightning.Connection;
using SatsMotion.Lightning.Http;

namespace SatsMotion.Lightning.Lnd;

/// <summary>
/// LND through its REST gateway (lnrpc Lightning service): POST /v1/invoices, GET /v1/invoice/{r_hash hex},
/// GET /v1/getinfo, POST /v1/channels/transactions. The hex macaroon goes in Grpc-Metadata-macaroon; bytes fields
/// are base64 and 64-bit integers are JSON strings, as the gateway writes them.
/// </summary>
public sealed class LndRestBackend(NodeClient node, string macaroonHex) : ILightningBackend
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
        return sp => new LndRestBackend(new NodeClient(sp.GetRequiredService<IHttpClientFactory>().CreateClient("lnd-rest"), $"LND at {server.Authority}"), macaroonHex);
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
            throw PermissionDenied(reply)
                ? new LightningBackendException(LightningFailure.Refused, $"{node.Node}: this macaroon may not call getinfo; bake one with 'lncli bakemacaroon info:read invoices:read invoices:write'")
                : Failure(reply, "GetInfo");
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

    public async Task<PaymentResult> PayInvoiceAsync(string paymentRequest, long maxFeeSat, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["payment_request"] = paymentRequest,
            ["fee_limit"] = new JsonObject { ["fixed"] = maxFeeSat.ToString(CultureInfo.InvariantCulture) },
        };
        var reply = await SendAsync(HttpMethod.Post, "v1/channels/transactions", body, cancellationToken);
        if (!reply.IsSuccess)
        {
            throw PermissionDenied(reply)
                ? new LightningBackendException(LightningFailure.NotPermitted, $"{node.Node}: this macaroon may not pay (use one with offchain:write, e.g. admin.macaroon)")
                : Failure(reply, "SendPaymentSync");
        }

        var error = reply.Json?["payment_error"]?.GetValue<string>();
        if (!string.IsNullOrEmpty(error))
        {
            throw new LightningBackendException(LightningFailure.PaymentFailed, $"{node.Node} could not pay: {error}");
        }

        var preimage = Base64(reply.Json?["payment_preimage"]) ?? throw node.Malformed("SendPaymentSync", "no payment_preimage");
        return new PaymentResult(preimage, Int64(reply.Json?["payment_route"]?["total_fees_msat"]));
    }

    private Task<NodeReply> SendAsync(HttpMethod method, string path, JsonObject? body, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Add("Grpc-Metadata-macaroon", macaroonHex);
        if (method == HttpMethod.Get)
        {
            request.Idempotent();
        }

        return node.SendAsync(request, cancellationToken);
    }

    // A macaroon LND rejects comes back as gRPC code 2 (HTTP 500), which must not read as an outage.
    private LightningBackendException Failure(NodeReply reply, string call) =>
        Message(reply)?.Contains("verification failed", StringComparison.OrdinalIgnoreCase) == true
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
