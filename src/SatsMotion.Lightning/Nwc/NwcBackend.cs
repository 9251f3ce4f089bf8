using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;
using SatsMotion.Lightning.Bolt11;
using SatsMotion.Lightning.Connection;

namespace SatsMotion.Lightning.Nwc;

/// <summary>
/// A wallet behind Nostr Wallet Connect (NIP-47): make_invoice, lookup_invoice, get_info and pay_invoice through the
/// wallet service's relay. Amounts are msats, hashes and preimages hex. Every request has a timeout; lookups and
/// get_info (which change nothing) are retried a bounded number of times with jitter, make_invoice and pay_invoice
/// never; a circuit breaker rests a relay or wallet that keeps failing.
/// </summary>
public sealed class NwcBackend : ILightningBackend
{
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan TotalTimeout = TimeSpan.FromSeconds(25);

    /// <summary>A payment may take a while to find its route; giving up early would only leave its outcome unknown.</summary>
    public static readonly TimeSpan PaymentTimeout = Http.NodeHttp.PayoutTimeout;

    private static readonly ResiliencePropertyKey<bool> RetryableKey = new("SatsMotion.Nwc.Retryable");
    private static readonly ResiliencePropertyKey<TimeSpan> TimeoutKey = new("SatsMotion.Nwc.Timeout");
    private readonly NwcConnection _connection;
    private readonly Bolt11Network? _configuredNetwork;
    private readonly ResiliencePipeline _pipeline;

    public NwcBackend(NwcConnection connection, Bolt11Network? configuredNetwork)
    {
        _connection = connection;
        _configuredNetwork = configuredNetwork;
        _pipeline = new ResiliencePipelineBuilder()
            .AddTimeout(new TimeoutStrategyOptions { TimeoutGenerator = args => ValueTask.FromResult(args.Context.Properties.GetValue(TimeoutKey, TotalTimeout)) })
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = 2,
                Delay = TimeSpan.FromMilliseconds(200),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = args => ValueTask.FromResult(args.Context.Properties.GetValue(RetryableKey, false) && IsTransient(args.Outcome.Exception)),
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = 0.5,
                MinimumThroughput = 8,
                SamplingDuration = TimeSpan.FromSeconds(30),
                BreakDuration = TimeSpan.FromSeconds(5),
                ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome.Exception)),
            })
            .Build();
    }

    public string Name => $"Nostr Wallet Connect via {_connection.Uri.Relay.Authority}";

    public bool IsDevelopment => false;

    // NIP-47's pay_invoice has no fee limit: see PayInvoiceAsync.
    public bool EnforcesFeeLimit => false;

    private string Wallet => $"NWC wallet via {_connection.Uri.Relay.Authority}";

    public static Func<IServiceProvider, ILightningBackend> Register(IServiceCollection services, LightningConnectionString connection)
    {
        NwcUri uri;
        try
        {
            uri = NwcUri.Parse(connection.Required("uri"));
        }
        catch (FormatException e)
        {
            throw new LightningConfigurationException($"SatsMotion:Lightning: key 'uri': {e.Message}");
        }

        // network= is read (and checked) by LightningBackends too; here it stands in for a wallet without get_info.
        Bolt11Network? network = NodeNetworks.TryParse(connection.Optional("network"), out var parsed) ? parsed : null;
        return _ => new NwcBackend(new NwcConnection(uri, AttemptTimeout), network);
    }

    public async Task<CreatedInvoice> CreateInvoiceAsync(long amountSat, string description, TimeSpan expiry, CancellationToken cancellationToken)
    {
        var parameters = new JsonObject
        {
            ["amount"] = amountSat * 1000,
            ["description"] = description,
            ["expiry"] = (long)expiry.TotalSeconds,
        };
        var result = await RequestAsync("make_invoice", parameters, retryable: false, cancellationToken);
        var invoice = Text(result["invoice"]) ?? throw Malformed("make_invoice", "no invoice");
        var hash = Text(result["payment_hash"]) ?? throw Malformed("make_invoice", "no payment_hash");
        var expiresAt = result["expires_at"] is { } at ? DateTimeOffset.FromUnixTimeSeconds(Int64(at)) : DateTimeOffset.UtcNow + expiry;
        return new CreatedInvoice(invoice, Convert.FromHexString(hash), expiresAt);
    }

    public async Task<InvoiceStatus> LookupInvoiceAsync(byte[] paymentHash, CancellationToken cancellationToken)
    {
        var hashHex = Convert.ToHexStringLower(paymentHash);
        JsonNode result;
        try
        {
            result = await RequestAsync("lookup_invoice", new JsonObject { ["payment_hash"] = hashHex }, retryable: true, cancellationToken);
        }
        catch (LightningBackendException e) when (e.InnerException is NwcException { Code: "NOT_FOUND" })
        {
            return new InvoiceStatus(InvoiceState.Unknown);
        }

        if (Text(result["payment_hash"]) is { } reported && !reported.Equals(hashHex, StringComparison.OrdinalIgnoreCase))
        {
            throw Malformed("lookup_invoice", $"asked for {hashHex}, got {reported}");
        }

        // A payment the wallet made with this hash (a refund invoice can reuse a challenge's hash) is not our invoice.
        if (Text(result["type"]) == "outgoing")
        {
            return new InvoiceStatus(InvoiceState.Unknown);
        }

        // Newer NIP-47 revisions add "state"; older wallets only set settled_at once paid.
        bool? settled = Text(result["state"]) switch
        {
            "settled" => true,
            "pending" or "accepted" => false,
            "expired" or "failed" => null,
            null => result["settled_at"] is { } at && at.GetValueKind() != JsonValueKind.Null ? true
                : result["expires_at"] is { } expires && DateTimeOffset.FromUnixTimeSeconds(Int64(expires)) <= DateTimeOffset.UtcNow ? null : false,
            var state => throw Malformed("lookup_invoice", $"state '{state}'"),
        };
        return settled switch
        {
            true => new InvoiceStatus(InvoiceState.Settled, Text(result["preimage"]) is { Length: > 0 } preimage ? Convert.FromHexString(preimage) : null, Int64(result["amount"])),
            false => new InvoiceStatus(InvoiceState.Open),
            null => new InvoiceStatus(InvoiceState.Expired),
        };
    }

    public async Task<NodeInfo> GetInfoAsync(CancellationToken cancellationToken)
    {
        JsonNode result;
        try
        {
            result = await RequestAsync("get_info", new JsonObject(), retryable: true, cancellationToken);
        }
        catch (LightningBackendException e) when (e.InnerException is NwcException { Code: "NOT_IMPLEMENTED" or "RESTRICTED" } refusal)
        {
            // get_info is optional for a wallet service: the operator may name the network instead.
            return _configuredNetwork is { } configured
                ? new NodeInfo(configured, true, $"{Wallet} (no get_info: network from the setting)")
                : throw new LightningBackendException(LightningFailure.Refused,
                    $"{Wallet} does not answer get_info ({refusal.Code}): allow get_info for this connection, or add network=mainnet|testnet|signet|regtest to the setting");
        }

        if (result["methods"] is JsonArray methods)
        {
            var missing = new[] { "make_invoice", "lookup_invoice" }.Where(m => !methods.Any(n => Text(n) == m)).ToList();
            if (missing.Count > 0)
            {
                throw new LightningBackendException(LightningFailure.Refused,
                    $"{Wallet}: this connection may not call {string.Join(" or ", missing)}; create one with make_invoice, lookup_invoice and get_info");
            }
        }

        var network = NodeNetworks.TryParse(Text(result["network"]), out var reported) ? reported
            : _configuredNetwork ?? throw Malformed("get_info", $"network '{Text(result["network"])}'; add network=… to the setting if the wallet does not say");
        return new NodeInfo(network, true, $"{Wallet} {Text(result["alias"])}".TrimEnd());
    }

    /// <summary>
    /// NIP-47's pay_invoice takes no fee limit, so <paramref name="maxFeeSat"/> cannot be passed on: the wallet's own
    /// budget for this connection is the only bound (docs/operators/lightning.md says so). The request expires soon after our timeout.
    /// INSUFFICIENT_BALANCE and QUOTA_EXCEEDED are refusals before paying: nothing was paid. PAYMENT_FAILED is not
    /// (47.md: "This may be due to a timeout"): the wallet may have stopped waiting for a payment that still goes
    /// through, so its outcome is unknown and lookup_invoice decides.
    /// </summary>
    public async Task<PaymentResult> PayInvoiceAsync(string paymentRequest, long? maxFeeSat, CancellationToken cancellationToken)
    {
        var result = await RequestAsync("pay_invoice", new JsonObject { ["invoice"] = paymentRequest }, retryable: false, cancellationToken, PaymentTimeout);
        var preimage = Text(result["preimage"]) is { Length: > 0 } hex ? Convert.FromHexString(hex) : throw Malformed("pay_invoice", "no preimage");
        return new PaymentResult(preimage, result["fees_paid"] is { } fees ? Int64(fees) : 0);
    }

    /// <summary>
    /// lookup_invoice by hash, for a payment ("type": "outgoing"): NIP-47 has no other lookup. Only "failed" (47.md:
    /// "failed (for payments)") says nothing was paid. NOT_FOUND ("The invoice could not be found") and an incoming
    /// invoice of that hash do not: many wallets look up only their invoices, so a payment they made can be missing
    /// from the answer. Those are <see cref="PaymentState.Unknown"/>, never a reason to pay again.
    /// </summary>
    public async Task<OutgoingPayment> LookupPaymentAsync(byte[] paymentHash, CancellationToken cancellationToken)
    {
        JsonNode result;
        try
        {
            result = await RequestAsync("lookup_invoice", new JsonObject { ["payment_hash"] = Convert.ToHexStringLower(paymentHash) }, retryable: true, cancellationToken);
        }
        catch (LightningBackendException e) when (e.InnerException is NwcException { Code: "NOT_FOUND" })
        {
            return new OutgoingPayment(PaymentState.Unknown);
        }

        if (Text(result["type"]) == "incoming")
        {
            return new OutgoingPayment(PaymentState.Unknown); // an invoice of the wallet's own: it says nothing of a payment
        }

        var preimage = Text(result["preimage"]) is { Length: > 0 } hex ? Convert.FromHexString(hex) : null;
        var fees = result["fees_paid"] is { } paid ? Int64(paid) : 0;
        return Text(result["state"]) switch
        {
            "settled" => new OutgoingPayment(PaymentState.Succeeded, preimage ?? throw Malformed("lookup_invoice", "a settled payment without preimage"), fees),
            "failed" => new OutgoingPayment(PaymentState.Failed),
            "pending" or "accepted" => new OutgoingPayment(PaymentState.InFlight),

            // "expired" is a state of invoices only: for a payment it is not one 47.md gives, so it proves nothing.
            "expired" => new OutgoingPayment(PaymentState.Unknown),

            // Wallets before "state": settled_at says paid; without it the wallet cannot tell pending from failed.
            null => result["settled_at"] is { } at && at.GetValueKind() != JsonValueKind.Null && preimage is not null
                ? new OutgoingPayment(PaymentState.Succeeded, preimage, fees) : new OutgoingPayment(PaymentState.InFlight),
            var state => throw Malformed("lookup_invoice", $"state '{state}'"),
        };
    }

    private async Task<JsonNode> RequestAsync(string method, JsonObject parameters, bool retryable, CancellationToken cancellationToken, TimeSpan? within = null)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(RetryableKey, retryable);
        context.Properties.Set(TimeoutKey, within ?? TotalTimeout);
        try
        {
            // A retry must not reuse a JsonObject already attached to the first attempt's request.
            var json = parameters.ToJsonString();
            return await _pipeline.ExecuteAsync(
                static (ctx, state) => new ValueTask<JsonNode>(state.Connection.RequestAsync(state.Method, JsonNode.Parse(state.Json)!.AsObject(), ctx.CancellationToken, state.Within)),
                context, (Connection: _connection, Method: method, Json: json, Within: within));
        }
        catch (NwcException e)
        {
            throw Failure(e, method);
        }
        catch (BrokenCircuitException e)
        {
            throw new LightningBackendException(LightningFailure.Unavailable, $"{Wallet} {method}: resting after repeated failures", e);
        }
        catch (TimeoutRejectedException e)
        {
            throw new LightningBackendException(method == "pay_invoice" ? LightningFailure.PaymentInFlight : LightningFailure.Unavailable,
                $"{Wallet} {method}: no answer within {(within ?? TotalTimeout).TotalSeconds:F0} s{OutcomeUnknown(method)}", e);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    // Relay trouble, timeouts and a wallet that says it is busy or broken pass; anything else is an answer.
    private static bool IsTransient(Exception? exception) => exception is NwcException e && (e.Problem is NwcProblem.RelayUnreachable or NwcProblem.RelayRejected or NwcProblem.NoAnswer
        || e.Code is "RATE_LIMITED" or "INTERNAL");

    private LightningBackendException Failure(NwcException e, string method)
    {
        var paying = method == "pay_invoice";
        var failure = e.Problem switch
        {
            // A request that may have reached the wallet: the payment may go on there.
            NwcProblem.RelayUnreachable or NwcProblem.NoAnswer or NwcProblem.Malformed when paying && e.RequestSent => LightningFailure.PaymentInFlight,
            NwcProblem.RelayUnreachable or NwcProblem.RelayRejected or NwcProblem.NoAnswer => LightningFailure.Unavailable,
            NwcProblem.Malformed => LightningFailure.Misbehaved,
            _ => e.Code switch
            {
                "UNAUTHORIZED" => LightningFailure.Refused,
                "RESTRICTED" or "NOT_IMPLEMENTED" => paying ? LightningFailure.NotPermitted : LightningFailure.Refused,
                "RATE_LIMITED" or "INTERNAL" => LightningFailure.Unavailable,
                "INSUFFICIENT_BALANCE" or "QUOTA_EXCEEDED" when paying => LightningFailure.PaymentFailed,

                // 47.md: "The payment failed. This may be due to a timeout, …": a wallet that stopped waiting says so too.
                "PAYMENT_FAILED" when paying => LightningFailure.PaymentInFlight,
                _ => LightningFailure.Misbehaved,
            },
        };
        var hint = failure == LightningFailure.NotPermitted ? " (this connection may not pay: allow pay_invoice, with a budget, to pay out)"
            : e.Problem == NwcProblem.NoAnswer || e.Code == "PAYMENT_FAILED" ? OutcomeUnknown(method) : "";
        return new LightningBackendException(failure, $"{Wallet} {method}: {e.Message}{hint}", e);
    }

    // A payment we stopped waiting for may still go through at the wallet.
    private static string OutcomeUnknown(string method) => method == "pay_invoice" ? "; the payment may still complete: check the wallet before paying again" : "";

    private LightningBackendException Malformed(string method, string what) => new(LightningFailure.Misbehaved, $"{Wallet} {method}: malformed reply ({what})");

    private static string? Text(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null;

    // NIP-47 numbers are JSON numbers; a wallet that writes them as strings is read too.
    private static long Int64(JsonNode? value) => value?.GetValueKind() switch
    {
        JsonValueKind.String => long.Parse(value.GetValue<string>(), CultureInfo.InvariantCulture),
        JsonValueKind.Number => value.GetValue<long>(),
        _ => 0,
    };
}
