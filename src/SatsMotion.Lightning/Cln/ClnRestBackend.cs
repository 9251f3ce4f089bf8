using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Lightning.Connection;
using SatsMotion.Lightning.Http;

namespace SatsMotion.Lightning.Cln;

/// <summary>
/// Core Lightning through its clnrest plugin: POST /v1/&lt;method&gt; with the RPC's named parameters as JSON and the
/// rune in the Rune header; success is 201 with the RPC result, a failure the RPC error {code, message, data}
/// (401/403 for the rune, 500 for others). Calls: invoice, listinvoices, getinfo, and pay (with maxfee) for pay-outs.
/// Hashes and preimages are hex, amounts numbers in msat.
/// </summary>
public sealed class ClnRestBackend(NodeClient node, string rune) : ILightningBackend
{
    // Rune errors (common/jsonrpc_errors.h): 1501 not authorized, 1502 not permitted, 1503 blacklisted.
    private const int RuneNotPermitted = 1502;

    public string Name => $"Core Lightning REST at {node.Node}";

    public bool IsDevelopment => false;

    public static Func<IServiceProvider, ILightningBackend> Register(IServiceCollection services, LightningConnectionString connection)
    {
        var server = connection.RequiredUrl("server");
        var rune = connection.Required("rune");
        services.AddNodeHttpClient("clnrest", server, TlsTrust.FromConnection(connection));
        return sp => new ClnRestBackend(new NodeClient(sp.GetRequiredService<IHttpClientFactory>().CreateClient("clnrest"), $"CLN at {server.Authority}"), rune);
    }

    public async Task<CreatedInvoice> CreateInvoiceAsync(long amountSat, string description, TimeSpan expiry, CancellationToken cancellationToken)
    {
        // Labels must be unique per node; a random one never collides with the operator's own.
        var label = $"satsmotion-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}";
        var result = await CallAsync("invoice", new JsonObject
        {
            ["amount_msat"] = amountSat * 1000,
            ["label"] = label,
            ["description"] = description,
            ["expiry"] = (long)expiry.TotalSeconds,
        }, idempotent: false, cancellationToken);
        var bolt11 = result["bolt11"]?.GetValue<string>() ?? throw node.Malformed("invoice", "no bolt11");
        var hash = result["payment_hash"]?.GetValue<string>() ?? throw node.Malformed("invoice", "no payment_hash");
        var expiresAt = result["expires_at"]?.GetValue<long>() is { } at ? DateTimeOffset.FromUnixTimeSeconds(at) : DateTimeOffset.UtcNow + expiry;
        return new CreatedInvoice(bolt11, Convert.FromHexString(hash), expiresAt);
    }

    public async Task<InvoiceStatus> LookupInvoiceAsync(byte[] paymentHash, CancellationToken cancellationToken)
    {
        // listinvoices changes nothing, so it may be retried although it is a POST.
        var result = await CallAsync("listinvoices", new JsonObject { ["payment_hash"] = Convert.ToHexStringLower(paymentHash) }, idempotent: true, cancellationToken);
        var invoice = result["invoices"]?.AsArray().FirstOrDefault();
        return invoice?["status"]?.GetValue<string>() switch
        {
            null when invoice is null => new InvoiceStatus(InvoiceState.Unknown),
            "paid" => new InvoiceStatus(InvoiceState.Settled, Convert.FromHexString(invoice!["payment_preimage"]!.GetValue<string>()), invoice["amount_received_msat"]!.GetValue<long>()),
            "unpaid" => new InvoiceStatus(InvoiceState.Open),
            "expired" => new InvoiceStatus(InvoiceState.Expired),
            var status => throw node.Malformed("listinvoices", $"status '{status}'"),
        };
    }

    public async Task<NodeInfo> GetInfoAsync(CancellationToken cancellationToken)
    {
        var result = await CallAsync("getinfo", new JsonObject(), idempotent: true, cancellationToken);
        var name = result["network"]?.GetValue<string>();
        if (!NodeNetworks.TryParse(name, out var network))
        {
            throw node.Malformed("getinfo", $"unsupported network '{name}'");
        }

        // No synced flag: a node still catching up says so in one of two warnings.
        var warning = result["warning_bitcoind_sync"]?.GetValue<string>() ?? result["warning_lightningd_sync"]?.GetValue<string>();
        return new NodeInfo(network, warning is null, $"CLN {result["alias"]?.GetValue<string>()} ({result["id"]?.GetValue<string>()}){(warning is null ? "" : $": {warning}")}");
    }

    public async Task<PaymentResult> PayInvoiceAsync(string paymentRequest, long maxFeeSat, CancellationToken cancellationToken)
    {
        var reply = await SendAsync("pay", new JsonObject { ["bolt11"] = paymentRequest, ["maxfee"] = maxFeeSat * 1000, ["retry_for"] = 60 }, idempotent: false, cancellationToken);
        if (!reply.IsSuccess)
        {
            var code = Code(reply);
            throw code == RuneNotPermitted
                ? new LightningBackendException(LightningFailure.NotPermitted, $"{node.Node}: this rune may not pay (create one that also allows method=pay for refunds)")
                : (int)reply.Status == 500 && code is not null
                    // pay's own errors: 205 no route, 206 too expensive, 207 expired, 210 timed out, ...
                    ? new LightningBackendException(LightningFailure.PaymentFailed, $"{node.Node} could not pay: {code} {Message(reply)}")
                    : Failure(reply, "pay");
        }

        var result = reply.Json ?? throw node.Malformed("pay", "not JSON");
        return result["status"]?.GetValue<string>() switch
        {
            "complete" => new PaymentResult(Convert.FromHexString(result["payment_preimage"]!.GetValue<string>()),
                result["amount_sent_msat"]!.GetValue<long>() - result["amount_msat"]!.GetValue<long>()),
            var status => throw new LightningBackendException(LightningFailure.PaymentFailed, $"{node.Node}: payment {status}; check the node before paying again"),
        };
    }

    private async Task<JsonNode> CallAsync(string method, JsonObject parameters, bool idempotent, CancellationToken cancellationToken)
    {
        var reply = await SendAsync(method, parameters, idempotent, cancellationToken);
        return reply.IsSuccess ? reply.Json ?? throw node.Malformed(method, "not JSON") : throw Failure(reply, method);
    }

    private Task<NodeReply> SendAsync(string method, JsonObject parameters, bool idempotent, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"v1/{method}") { Content = JsonContent.Create(parameters) };
        request.Headers.Add("Rune", rune);
        if (idempotent)
        {
            request.Idempotent();
        }

        return node.SendAsync(request, cancellationToken);
    }

    // 401/403 are the rune: missing, not this node's, blacklisted, or not allowing this call.
    private LightningBackendException Failure(NodeReply reply, string method) => (int)reply.Status is 401 or 403
        ? new LightningBackendException(LightningFailure.Refused, $"{node.Node} {method}: {Message(reply)}")
        : node.Failure(reply, method, Message(reply));

    private static int? Code(NodeReply reply) => reply.Json?["code"]?.GetValueKind() == System.Text.Json.JsonValueKind.Number ? reply.Json["code"]!.GetValue<int>() : null;

    private static string? Message(NodeReply reply) => reply.Json?["message"]?.GetValue<string>();
}
