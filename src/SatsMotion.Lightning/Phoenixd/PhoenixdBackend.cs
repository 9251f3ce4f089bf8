using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Lightning.Bolt11;
using SatsMotion.Lightning.Connection;
using SatsMotion.Lightning.Http;

namespace SatsMotion.Lightning.Phoenixd;

/// <summary>
/// ACINQ's phoenixd through its HTTP API (phoenixd v0.8.0, src/commonMain/kotlin/fr/acinq/phoenixd/api/Api.kt):
/// POST /createinvoice, GET /payments/incoming/{paymentHash}, GET /getinfo, POST /payinvoice and GET
/// /payments/outgoingbyhash/{paymentHash}. Requests are form-encoded, amounts are in satoshis (fees of payments in
/// msat); the password goes in HTTP basic auth with an empty user name. Errors are plain text with a status code;
/// a payment that failed is 200 with a reason. /payinvoice blocks until the payment is final, with no timeout of its own.
/// </summary>
public sealed class PhoenixdBackend(NodeClient node, string password) : ILightningBackend
{
    /// <summary>phoenixd refuses a longer description (createinvoice).</summary>
    public const int MaxDescriptionLength = 128;

    /// <summary>Tags our invoices in phoenixd, so the operator can list them with ?externalId=satsmotion.</summary>
    public const string ExternalId = "satsmotion";

    private readonly AuthenticationHeaderValue _authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(":" + password)));

    public string Name => $"phoenixd at {node.Node}";

    public bool IsDevelopment => false;

    public static Func<IServiceProvider, ILightningBackend> Register(IServiceCollection services, LightningConnectionString connection)
    {
        var server = connection.RequiredUrl("server");
        var password = connection.Required("password");
        services.AddNodeHttpClient("phoenixd", server, TlsTrust.FromConnection(connection));
        return sp => new PhoenixdBackend(new NodeClient(sp.GetRequiredService<IHttpClientFactory>().CreateClient("phoenixd"), $"phoenixd at {server.Authority}"), password);
    }

    public async Task<CreatedInvoice> CreateInvoiceAsync(long amountSat, string description, TimeSpan expiry, CancellationToken cancellationToken)
    {
        var reply = await SendAsync(HttpMethod.Post, "createinvoice", new Dictionary<string, string>
        {
            ["description"] = description.Length > MaxDescriptionLength ? description[..MaxDescriptionLength] : description,
            ["amountSat"] = amountSat.ToString(CultureInfo.InvariantCulture),
            ["expirySeconds"] = ((long)expiry.TotalSeconds).ToString(CultureInfo.InvariantCulture),
            ["externalId"] = ExternalId,
        }, cancellationToken);
        if (!reply.IsSuccess)
        {
            throw node.Failure(reply, "createinvoice", Message(reply));
        }

        var serialized = reply.Json?["serialized"]?.GetValue<string>() ?? throw node.Malformed("createinvoice", "no serialized");
        var hash = reply.Json?["paymentHash"]?.GetValue<string>() ?? throw node.Malformed("createinvoice", "no paymentHash");
        return new CreatedInvoice(serialized, Convert.FromHexString(hash), DateTimeOffset.UtcNow + expiry);
    }

    public async Task<InvoiceStatus> LookupInvoiceAsync(byte[] paymentHash, CancellationToken cancellationToken)
    {
        var reply = await SendAsync(HttpMethod.Get, $"payments/incoming/{Convert.ToHexStringLower(paymentHash)}", null, cancellationToken);
        if (reply.Status == HttpStatusCode.NotFound)
        {
            return new InvoiceStatus(InvoiceState.Unknown);
        }

        if (!reply.IsSuccess || reply.Json is null)
        {
            throw node.Failure(reply, "payments/incoming", Message(reply));
        }

        var payment = reply.Json;
        if (payment["isPaid"]?.GetValue<bool>() == true)
        {
            // receivedSat is what reached the wallet after the fee of any on-the-fly channel (fees, msat): the payer paid both.
            var received = Int64(payment["receivedSat"]) * 1000 + Int64(payment["fees"]);
            var preimage = payment["preimage"]?.GetValue<string>() ?? throw node.Malformed("payments/incoming", "a paid invoice without preimage");
            return new InvoiceStatus(InvoiceState.Settled, Convert.FromHexString(preimage), received);
        }

        // phoenixd reports the preimage of unpaid invoices too (it is the payee): it proves nothing until isPaid.
        return payment["isExpired"]?.GetValue<bool>() == true ? new InvoiceStatus(InvoiceState.Expired) : new InvoiceStatus(InvoiceState.Open);
    }

    public async Task<NodeInfo> GetInfoAsync(CancellationToken cancellationToken)
    {
        var reply = await SendAsync(HttpMethod.Get, "getinfo", null, cancellationToken);
        if (!reply.IsSuccess || reply.Json is null)
        {
            throw node.Failure(reply, "getinfo", Message(reply));
        }

        var chain = reply.Json["chain"]?.GetValue<string>();
        if (!NodeNetworks.TryParse(chain, out var network))
        {
            throw node.Malformed("getinfo", $"unsupported chain '{chain}'");
        }

        // blockHeight stays null until phoenixd has heard of the chain tip from its Electrum server.
        var synced = reply.Json["blockHeight"] is JsonValue;
        var channels = reply.Json["channels"]?.AsArray().Count ?? 0;
        return new NodeInfo(network, synced,
            $"phoenixd {reply.Json["version"]?.GetValue<string>()} ({reply.Json["nodeId"]?.GetValue<string>()}, {channels} channel{(channels == 1 ? "" : "s")})");
    }

    public async Task<PaymentResult> PayInvoiceAsync(string paymentRequest, long? maxFeeSat, CancellationToken cancellationToken)
    {
        // /payinvoice takes no fee limit: phoenixd pays through ACINQ's trampoline node at the fee it publishes, so
        // the cost is known before paying, and a payment that would cost more than allowed is never started.
        var amountMsat = Bolt11Codec.Decode(paymentRequest).AmountMsat
            ?? throw new LightningBackendException(LightningFailure.PaymentFailed, $"{node.Node}: will not pay an invoice without an amount");
        var feeMsat = PhoenixdFees.TrampolineFeeMsat(amountMsat);
        if (maxFeeSat is { } limit && feeMsat > limit * 1000)
        {
            throw new LightningBackendException(LightningFailure.PaymentFailed,
                $"{node.Node}: phoenixd's fee for {amountMsat / 1000} sat is {feeMsat} msat ({PhoenixdFees.Schedule}), above the limit of {limit} sat");
        }

        var request = new HttpRequestMessage(HttpMethod.Post, "payinvoice") { Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["invoice"] = paymentRequest }) };
        request.Headers.Authorization = _authorization;
        var reply = await node.SendAsync(request.Payout(), cancellationToken);
        if (reply.Status == HttpStatusCode.Unauthorized)
        {
            // The password passed getinfo at start-up; only the full-access one may pay.
            throw new LightningBackendException(LightningFailure.NotPermitted,
                $"{node.Node}: this password may not pay (the limited-access password cannot; use http-password for refunds)");
        }

        if ((int)reply.Status is 400 or 404)
        {
            throw node.Failure(reply, "payinvoice", Message(reply));
        }

        if (!reply.IsSuccess || reply.Json is null)
        {
            // A 5xx or an unreadable answer may come after phoenixd started paying.
            throw new LightningBackendException(LightningFailure.PaymentInFlight, $"{node.Node} payinvoice: HTTP {(int)reply.Status} {Message(reply)}; the payment may still complete");
        }

        if (reply.Json["paymentPreimage"]?.GetValue<string>() is { } preimage)
        {
            return new PaymentResult(Convert.FromHexString(preimage), Int64(reply.Json["routingFeeSat"]) * 1000);
        }

        // Failed (no route, no balance), or refused as already paid or being paid by another call: never by this one.
        var reason = reply.Json["reason"]?.GetValue<string>() ?? throw node.Malformed("payinvoice", "neither paymentPreimage nor reason");
        throw new LightningBackendException(LightningFailure.PaymentFailed, $"{node.Node} could not pay: {reason}");
    }

    /// <summary>The best attempt for the hash: paid with its preimage, failed once completedAt is set unpaid, else pending.</summary>
    public async Task<OutgoingPayment> LookupPaymentAsync(byte[] paymentHash, CancellationToken cancellationToken)
    {
        var reply = await SendAsync(HttpMethod.Get, $"payments/outgoingbyhash/{Convert.ToHexStringLower(paymentHash)}", null, cancellationToken);
        if (reply.Status == HttpStatusCode.NotFound)
        {
            return new OutgoingPayment(PaymentState.NotFound);
        }

        if (!reply.IsSuccess || reply.Json is null)
        {
            throw node.Failure(reply, "payments/outgoingbyhash", Message(reply));
        }

        var payment = reply.Json;
        return payment["isPaid"]?.GetValue<bool>() == true
            ? new OutgoingPayment(PaymentState.Succeeded, Convert.FromHexString(payment["preimage"]?.GetValue<string>() ?? throw node.Malformed("payments/outgoingbyhash", "a paid payment without preimage")),
                Int64(payment["fees"]))
            : new OutgoingPayment(payment["completedAt"] is JsonValue ? PaymentState.Failed : PaymentState.InFlight);
    }

    private Task<NodeReply> SendAsync(HttpMethod method, string path, Dictionary<string, string>? form, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(method, path) { Content = form is null ? null : new FormUrlEncodedContent(form) };
        request.Headers.Authorization = _authorization;
        return node.SendAsync(request, cancellationToken);
    }

    // phoenixd answers errors as plain text ("Invalid authentication …", "Request parameter … is missing").
    private static string? Message(NodeReply reply)
    {
        var text = reply.Text.Trim();
        return text.Length <= 200 ? text : text[..200] + "…";
    }

    private static long Int64(JsonNode? value) => value is null ? 0 : value.GetValue<long>();
}
