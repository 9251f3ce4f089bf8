using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Lightning.Bolt11;
using SatsMotion.Lightning.Connection;
using SatsMotion.Lightning.Http;

namespace SatsMotion.Lightning.LNbits;

/// <summary>
/// One LNbits wallet through LNbits' wallet API (lnbits v1.5.2-rc3, lnbits/core/views/payment_api.py and
/// wallet_api.py, services/payments.py): POST /api/v1/payments (out=false creates an invoice, out=true pays one),
/// GET /api/v1/payments/{payment_hash}, GET /api/v1/wallet, GET /api/v1/payments/fee-reserve. The wallet key goes
/// in X-Api-Key; amounts asked are in sats, amounts reported in msat; errors are FastAPI's {"detail": "..."}, a
/// payment error 520 {"detail", "status"}. LNbits does not tell a wallet key which chain its funding source is on,
/// so the operator names it (network=).
/// </summary>
public sealed class LnbitsBackend(NodeClient node, string apiKey, Bolt11Network network) : ILightningBackend
{
    private static readonly TimeSpan PendingPaymentWait = TimeSpan.FromSeconds(20);

    public string Name => $"LNbits at {node.Node}";

    public bool IsDevelopment => false;

    public static Func<IServiceProvider, ILightningBackend> Register(IServiceCollection services, LightningConnectionString connection)
    {
        var server = connection.RequiredUrl("server");
        var apiKey = connection.Required("api-key");
        if (!NodeNetworks.TryParse(connection.Optional("network"), out var network))
        {
            throw new LightningConfigurationException(
                "SatsMotion:Lightning: type=lnbits needs the key 'network' (mainnet, testnet, signet or regtest): LNbits does not tell a wallet key which chain it is on");
        }

        services.AddNodeHttpClient("lnbits", server, TlsTrust.FromConnection(connection));
        return sp => new LnbitsBackend(new NodeClient(sp.GetRequiredService<IHttpClientFactory>().CreateClient("lnbits"), $"LNbits at {server.Authority}"), apiKey, network);
    }

    public async Task<CreatedInvoice> CreateInvoiceAsync(long amountSat, string description, TimeSpan expiry, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["out"] = false, // LNbits defaults to paying
            ["amount"] = amountSat,
            ["unit"] = "sat",
            ["memo"] = description,
            ["expiry"] = (long)expiry.TotalSeconds,
        };
        var reply = await SendAsync(HttpMethod.Post, "api/v1/payments", body, cancellationToken);
        if (!reply.IsSuccess)
        {
            throw Failure(reply, "create invoice");
        }

        // LNbits 1.x answers the whole payment (bolt11 and payment_request); older releases only payment_request.
        var paymentRequest = reply.Json?["payment_request"]?.GetValue<string>() ?? reply.Json?["bolt11"]?.GetValue<string>()
            ?? throw node.Malformed("create invoice", "no payment_request");
        var hash = reply.Json?["payment_hash"]?.GetValue<string>() ?? throw node.Malformed("create invoice", "no payment_hash");
        return new CreatedInvoice(paymentRequest, Convert.FromHexString(hash), DateTimeOffset.UtcNow + expiry);
    }

    public async Task<InvoiceStatus> LookupInvoiceAsync(byte[] paymentHash, CancellationToken cancellationToken)
    {
        var reply = await SendAsync(HttpMethod.Get, $"api/v1/payments/{Convert.ToHexStringLower(paymentHash)}", null, cancellationToken);
        if (reply.Status == HttpStatusCode.NotFound)
        {
            return new InvoiceStatus(InvoiceState.Unknown); // "Payment does not exist." (in this wallet)
        }

        if (!reply.IsSuccess || reply.Json is null)
        {
            throw Failure(reply, "payment status");
        }

        // "details" (the amount among them) come only when the key's wallet is the payment's own (api_payment:
        // "if wallet and wallet.id == payment.wallet_id"); without them the rest of the answer still holds.
        var details = reply.Json["details"];
        long? amountMsat = details?["amount"]?.GetValue<long>();
        if (amountMsat <= 0)
        {
            throw node.Malformed("payment status", "the payment with this hash is outgoing, not our invoice");
        }

        if (reply.Json["paid"]?.GetValue<bool>() == true)
        {
            return new InvoiceStatus(InvoiceState.Settled, Hex(reply.Json["preimage"]), amountMsat);
        }

        // A pending invoice may already carry the preimage LNbits made for it: it proves nothing until paid.
        return Status(reply.Json) == "failed" ? new InvoiceStatus(InvoiceState.Expired) : new InvoiceStatus(InvoiceState.Open);
    }

    public async Task<NodeInfo> GetInfoAsync(CancellationToken cancellationToken)
    {
        var reply = await SendAsync(HttpMethod.Get, "api/v1/wallet", null, cancellationToken);
        if (!reply.IsSuccess || reply.Json is null)
        {
            throw Failure(reply, "wallet");
        }

        var name = reply.Json["name"]?.GetValue<string>() ?? throw node.Malformed("wallet", "no name");
        // Only the admin key sees the wallet id: worth saying, since that key can spend the wallet.
        var key = reply.Json["id"] is null ? "invoice key" : "admin key";
        return new NodeInfo(network, true, $"LNbits wallet '{name}' ({key}; network as set: {network.ToString().ToLowerInvariant()})");
    }

    public async Task<PaymentResult> PayInvoiceAsync(string paymentRequest, long? maxFeeSat, CancellationToken cancellationToken)
    {
        // LNbits takes no fee limit per payment: it hands its funding source its own fee reserve as the limit
        // (max(2 sat, 1 %) by default). With a limit of ours, ask what that reserve is for this invoice first.
        if (maxFeeSat is { } limit)
        {
            var reserve = await SendAsync(HttpMethod.Get, $"api/v1/payments/fee-reserve?invoice={Uri.EscapeDataString(paymentRequest)}", null, cancellationToken);
            if (!reserve.IsSuccess)
            {
                throw Failure(reserve, "fee reserve");
            }

            var reserveMsat = reserve.Json?["fee_reserve"]?.GetValue<long>() ?? throw node.Malformed("fee reserve", "no fee_reserve");
            if (reserveMsat > limit * 1000)
            {
                throw new LightningBackendException(LightningFailure.PaymentFailed,
                    $"{node.Node}: LNbits reserves up to {reserveMsat} msat in fees for this invoice, above the limit of {limit} sat");
            }
        }

        var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/payments") { Content = JsonContent.Create(new JsonObject { ["out"] = true, ["bolt11"] = paymentRequest }) };
        request.Headers.Add("X-Api-Key", apiKey);
        var reply = await node.SendAsync(request.Payout(), cancellationToken);
        var hash = Bolt11Codec.Decode(paymentRequest).PaymentHashHex;
        if (reply.Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw new LightningBackendException(LightningFailure.NotPermitted,
                $"{node.Node}: this key may not pay ({Detail(reply)}); refunds need the wallet's admin key");
        }

        if ((int)reply.Status == 520)
        {
            // PaymentError {"detail", "status"}: "success" is "Payment already paid." (a payment of this hash exists
            // and went through), "pending" one still on its way; only "failed" paid nothing.
            return reply.Json?["status"]?.GetValue<string>() switch
            {
                "failed" => throw new LightningBackendException(LightningFailure.PaymentFailed, $"{node.Node} could not pay: {Detail(reply)}"),
                "success" => await AwaitPaymentAsync(hash, cancellationToken),
                _ => throw new LightningBackendException(LightningFailure.PaymentInFlight, $"{node.Node}: {Detail(reply)}; the payment may still complete"),
            };
        }

        if ((int)reply.Status is 400 or 404)
        {
            throw Failure(reply, "pay invoice");
        }

        if (!reply.IsSuccess || reply.Json is null)
        {
            throw new LightningBackendException(LightningFailure.PaymentInFlight, $"{node.Node} pay invoice: HTTP {(int)reply.Status} {Detail(reply)}; the payment may still complete");
        }

        return reply.Json["status"]?.GetValue<string>() == "success" && Hex(reply.Json["preimage"]) is { } preimage
            ? new PaymentResult(preimage, Math.Abs(reply.Json["fee"]?.GetValue<long>() ?? 0))
            : await AwaitPaymentAsync(hash, cancellationToken);
    }

    /// <summary>The wallet's payment of this hash (the admin key sees it; LNbits lists an outgoing one before an incoming one).</summary>
    public async Task<OutgoingPayment> LookupPaymentAsync(byte[] paymentHash, CancellationToken cancellationToken)
    {
        var reply = await SendAsync(HttpMethod.Get, $"api/v1/payments/{Convert.ToHexStringLower(paymentHash)}", null, cancellationToken);
        if (reply.Status == HttpStatusCode.NotFound)
        {
            return new OutgoingPayment(PaymentState.NotFound);
        }

        if (!reply.IsSuccess || reply.Json is null)
        {
            throw Failure(reply, "payment status");
        }

        var details = reply.Json["details"];
        if (details?["amount"]?.GetValue<long>() > 0)
        {
            return new OutgoingPayment(PaymentState.NotFound); // an invoice of ours with this hash, no payment
        }

        if (reply.Json["paid"]?.GetValue<bool>() == true)
        {
            var preimage = Hex(reply.Json["preimage"]) ?? throw node.Malformed("payment status", "a paid payment without preimage");
            return new OutgoingPayment(PaymentState.Succeeded, preimage, Math.Abs(details?["fee"]?.GetValue<long>() ?? 0));
        }

        return new OutgoingPayment(Status(reply.Json) == "failed" ? PaymentState.Failed : PaymentState.InFlight);
    }

    // LNbits answers a payment still in flight after a few seconds as pending; its status page says how it ends.
    private async Task<PaymentResult> AwaitPaymentAsync(string paymentHash, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + PendingPaymentWait;
        while (true)
        {
            var payment = await LookupPaymentAsync(Convert.FromHexString(paymentHash), cancellationToken);
            switch (payment.State)
            {
                case PaymentState.Succeeded:
                    return new PaymentResult(payment.Preimage!, payment.FeePaidMsat);
                case PaymentState.Failed:
                    throw new LightningBackendException(LightningFailure.PaymentFailed, $"{node.Node}: the payment failed");
                case PaymentState.NotFound:
                    // "already paid" by another wallet on the instance: not ours to see, and not paid by this call.
                    throw new LightningBackendException(LightningFailure.PaymentFailed, $"{node.Node}: this wallet has no payment of {paymentHash}");
            }

            if (DateTimeOffset.UtcNow >= deadline)
            {
                throw new LightningBackendException(LightningFailure.PaymentInFlight, $"{node.Node}: the payment is still pending; it may still complete");
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
    }

    private Task<NodeReply> SendAsync(HttpMethod method, string path, JsonObject? body, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Add("X-Api-Key", apiKey);
        return node.SendAsync(request, cancellationToken);
    }

    // A paid payment has its status only in "details"; a pending one may have it in neither.
    private static string? Status(JsonNode payment) => payment["status"]?.GetValue<string>() ?? payment["details"]?["status"]?.GetValue<string>();

    // A wallet key LNbits does not know is 404 "Wallet not found." on the key-checked calls (older releases: 401/403).
    private LightningBackendException Failure(NodeReply reply, string call) =>
        reply.Status == HttpStatusCode.NotFound && Detail(reply) == "Wallet not found."
            ? new LightningBackendException(LightningFailure.Refused, $"{node.Node} {call}: {Detail(reply)}")
            : node.Failure(reply, call, Detail(reply));

    // FastAPI: {"detail": "..."}; a validation error's detail is a list.
    private static string? Detail(NodeReply reply) => reply.Json?["detail"] switch
    {
        JsonValue value => value.ToString(),
        JsonNode other => other.ToJsonString(),
        null => null,
    };

    private static byte[]? Hex(JsonNode? value) => value?.GetValue<string>() is { Length: > 0 } text ? Convert.FromHexString(text) : null;
}
