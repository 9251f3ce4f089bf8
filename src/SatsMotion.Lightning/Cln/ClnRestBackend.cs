using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Lightning.Bolt11;
using SatsMotion.Lightning.Connection;
using SatsMotion.Lightning.Http;

namespace SatsMotion.Lightning.Cln;

/// <summary>
/// Core Lightning through its clnrest plugin (lightning v26.06, plugins/rest-plugin): POST /v1/&lt;method&gt; with the
/// RPC's named parameters as JSON and the rune in the Rune header; success is 201 with the RPC result, a failure the
/// RPC error {code, message, data} (401/403 for the rune, 404 for an unknown method, 500 for the rest). Calls: invoice,
/// listinvoices, getinfo, and for pay-outs pay (which xpay serves since 26.06) and listpays. Hashes and preimages are
/// hex, amounts numbers in msat. clnrest waits for the RPC without a timeout, and the node goes on paying when we
/// hang up: a pay-out that ends unclearly is looked up with listpays.
/// </summary>
public sealed class ClnRestBackend(NodeClient node, string rune) : ILightningBackend
{
    // Rune errors (common/jsonrpc_errors.h): 1501 not authorized, 1502 not permitted, 1503 blacklisted.
    private const int RuneNotPermitted = 1502;

    // Errors pay/xpay gives before anything is sent (jsonrpc_errors.h): invalid parameters, expired or unusable invoice.
    // Every other error — above all xpay's -3 "Unexpected injectpaymentonion error" for a payment already in flight
    // or already paid — says nothing about whether money moved, and is looked up.
    private static readonly int[] NothingSent = [-32602, 207, 212];

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

    public async Task<PaymentResult> PayInvoiceAsync(string paymentRequest, long? maxFeeSat, CancellationToken cancellationToken)
    {
        // Always a limit: without the operator's, the common rule, which is xpay's own default (doc/schemas/xpay.json);
        // left to the node, a node whose pay is still the legacy plugin (xpay-handle-pay=false) would allow only 0.5 %.
        var limit = maxFeeSat ?? PayoutFees.DefaultLimitSat(Bolt11Codec.Decode(paymentRequest).AmountMsat ?? 0);
        var parameters = new JsonObject { ["bolt11"] = paymentRequest, ["retry_for"] = (int)NodeHttp.NodePaymentTimeout.TotalSeconds, ["maxfee"] = limit * 1000 };

        var reply = await SendAsync("pay", parameters, idempotent: false, cancellationToken, payout: true);
        if (reply.IsSuccess)
        {
            var result = reply.Json ?? throw node.Malformed("pay", "not JSON");
            if (result["status"]?.GetValue<string>() == "complete")
            {
                return new PaymentResult(Convert.FromHexString(result["payment_preimage"]!.GetValue<string>()),
                    result["amount_sent_msat"]!.GetValue<long>() - result["amount_msat"]!.GetValue<long>());
            }
        }
        else if ((int)reply.Status is 401 or 403)
        {
            throw Code(reply) == RuneNotPermitted
                ? new LightningBackendException(LightningFailure.NotPermitted, $"{node.Node}: this rune may not pay (create one that also allows method=pay for refunds)")
                : Failure(reply, "pay");
        }
        else if ((int)reply.Status == 404)
        {
            throw new LightningBackendException(LightningFailure.NotPermitted, $"{node.Node}: the node has no pay command ({Message(reply)}); enable xpay or the pay plugin for refunds");
        }
        else if (Code(reply) is { } code && NothingSent.Contains(code))
        {
            throw new LightningBackendException(LightningFailure.PaymentFailed, $"{node.Node} could not pay: {code} {Message(reply)}");
        }

        // Pending, or an error that does not say: the node's record of the payment decides.
        var payment = await LookupPaymentAsync(Bolt11.Bolt11Codec.Decode(paymentRequest).PaymentHash, cancellationToken);
        var said = reply.IsSuccess ? $"payment {reply.Json?["status"]}" : $"{Code(reply)?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "HTTP " + (int)reply.Status} {Message(reply)}";
        return payment.State switch
        {
            PaymentState.Succeeded => new PaymentResult(payment.Preimage!, payment.FeePaidMsat),
            PaymentState.InFlight => throw new LightningBackendException(LightningFailure.PaymentInFlight, $"{node.Node}: {said}; the payment is still pending and may complete"),
            _ => throw new LightningBackendException(LightningFailure.PaymentFailed, $"{node.Node} could not pay: {said}"),
        };
    }

    /// <summary>listpays by hash: one entry per attempt; one complete attempt is a payment, any pending one keeps it open.</summary>
    public async Task<OutgoingPayment> LookupPaymentAsync(byte[] paymentHash, CancellationToken cancellationToken)
    {
        var result = await CallAsync("listpays", new JsonObject { ["payment_hash"] = Convert.ToHexStringLower(paymentHash) }, idempotent: true, cancellationToken);
        var pays = result["pays"]?.AsArray() ?? throw node.Malformed("listpays", "no pays");
        var complete = pays.FirstOrDefault(p => p?["status"]?.GetValue<string>() == "complete");
        if (complete is not null)
        {
            var sent = complete["amount_sent_msat"]?.GetValue<long>() ?? 0;
            var fee = complete["amount_msat"]?.GetValue<long>() is { } amount ? sent - amount : 0;
            return new OutgoingPayment(PaymentState.Succeeded, Convert.FromHexString(complete["preimage"]?.GetValue<string>() ?? throw node.Malformed("listpays", "a complete payment without preimage")), fee);
        }

        return pays.Any(p => p?["status"]?.GetValue<string>() == "pending") ? new OutgoingPayment(PaymentState.InFlight)
            : pays.Count > 0 ? new OutgoingPayment(PaymentState.Failed)
            : new OutgoingPayment(PaymentState.NotFound);
    }

    private async Task<JsonNode> CallAsync(string method, JsonObject parameters, bool idempotent, CancellationToken cancellationToken)
    {
        var reply = await SendAsync(method, parameters, idempotent, cancellationToken);
        return reply.IsSuccess ? reply.Json ?? throw node.Malformed(method, "not JSON") : throw Failure(reply, method);
    }

    private Task<NodeReply> SendAsync(string method, JsonObject parameters, bool idempotent, CancellationToken cancellationToken, bool payout = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"v1/{method}") { Content = JsonContent.Create(parameters) };
        request.Headers.Add("Rune", rune);
        if (idempotent)
        {
            request.Idempotent();
        }

        return node.SendAsync(payout ? request.Payout() : request, cancellationToken);
    }

    // 401/403 are the rune: missing, not this node's, blacklisted, or not allowing this call.
    private LightningBackendException Failure(NodeReply reply, string method) => (int)reply.Status is 401 or 403
        ? new LightningBackendException(LightningFailure.Refused, $"{node.Node} {method}: {Message(reply)}")
        : node.Failure(reply, method, Message(reply));

    private static int? Code(NodeReply reply) => reply.Json?["code"]?.GetValueKind() == System.Text.Json.JsonValueKind.Number ? reply.Json["code"]!.GetValue<int>() : null;

    private static string? Message(NodeReply reply) => reply.Json?["message"]?.GetValue<string>();
}
