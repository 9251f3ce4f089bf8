using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using SatsMotion.Lightning.Connection;

namespace SatsMotion.Lightning.Http;

/// <summary>
/// The HTTP client every REST backend talks to its node through: a timeout on every attempt and on the whole call,
/// jittered retries only for GETs and calls marked idempotent (lookups, getinfo; never invoice creation or a payment), and a
/// circuit breaker so a dead node is not hammered while it is away. A pay-out has its own, longer budget: the node is
/// asked to give up after <see cref="NodePaymentTimeout"/> and answers only then.
/// </summary>
public static class NodeHttp
{
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan TotalTimeout = TimeSpan.FromSeconds(25);

    /// <summary>How long a node is asked to keep trying a payment (LND timeout_seconds, CLN retry_for).</summary>
    public static readonly TimeSpan NodePaymentTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How long a pay-out call may take: the node's own payment timeout, plus time for its HTLCs to come back.</summary>
    public static readonly TimeSpan PayoutTimeout = TimeSpan.FromSeconds(120);

    private static readonly HttpRequestOptionsKey<bool> IdempotentKey = new("SatsMotion.Idempotent");
    private static readonly HttpRequestOptionsKey<bool> PayoutKey = new("SatsMotion.Payout");

    /// <summary>Marks a request other than a GET safe to send again (it changes nothing on the node, like CLN's listinvoices).</summary>
    public static HttpRequestMessage Idempotent(this HttpRequestMessage request)
    {
        request.Options.Set(IdempotentKey, true);
        return request;
    }

    /// <summary>Marks a request that pays: it gets <see cref="PayoutTimeout"/>, and an unclear end of it is <see cref="LightningFailure.PaymentInFlight"/>.</summary>
    public static HttpRequestMessage Payout(this HttpRequestMessage request)
    {
        request.Options.Set(PayoutKey, true);
        return request;
    }

    public static bool IsPayout(this HttpRequestMessage request) => request.Options.TryGetValue(PayoutKey, out var payout) && payout;

    /// <summary>Registers the named client <paramref name="name"/> for a node at <paramref name="server"/>.</summary>
    public static void AddNodeHttpClient(this IServiceCollection services, string name, Uri server, TlsTrust tls)
    {
        services.AddHttpClient(name, client =>
            {
                client.BaseAddress = server;
                client.Timeout = Timeout.InfiniteTimeSpan; // the pipeline's timeouts rule
            })
            .ConfigurePrimaryHttpMessageHandler(tls.CreateHandler)
            .AddResilienceHandler("lightning-node", pipeline =>
            {
                pipeline.AddTimeout(new HttpTimeoutStrategyOptions { TimeoutGenerator = args => ValueTask.FromResult(Budget(args.Context, TotalTimeout)) });
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = 2,
                    Delay = TimeSpan.FromMilliseconds(200),
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    ShouldHandle = args => ValueTask.FromResult(IsIdempotent(args.Context) && IsTransient(args.Outcome)),
                });
                pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
                {
                    FailureRatio = 0.5,
                    MinimumThroughput = 8,
                    SamplingDuration = TimeSpan.FromSeconds(30),
                    BreakDuration = TimeSpan.FromSeconds(5),
                    ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome)),
                });
                pipeline.AddTimeout(new HttpTimeoutStrategyOptions { TimeoutGenerator = args => ValueTask.FromResult(Budget(args.Context, AttemptTimeout)) });
            });
    }

    // Trouble on the way (no connection, a timeout, a proxy or a node that says it is busy), not an answer: a 500 is
    // how LND answers every refusal of its own (gRPC code 2: a macaroon without info:read asking getinfo) and how
    // clnrest answers every RPC error; retried and counted, those would open the circuit on a healthy node.
    private static bool IsTransient(Outcome<HttpResponseMessage> outcome) => outcome.Exception is not null
        ? HttpClientResiliencePredicates.IsTransient(outcome)
        : (int)outcome.Result!.StatusCode is 408 or 429 or 502 or 503 or 504;

    private static TimeSpan Budget(ResilienceContext context, TimeSpan ordinary) => context.GetRequestMessage()?.IsPayout() == true ? PayoutTimeout : ordinary;

    private static bool IsIdempotent(ResilienceContext context) => context.GetRequestMessage() is { } request
        && (request.Method == HttpMethod.Get || (request.Options.TryGetValue(IdempotentKey, out var idempotent) && idempotent));
}

/// <summary>One answer of a node's REST API: its status, and the body as JSON when it is JSON.</summary>
public sealed record NodeReply(HttpStatusCode Status, System.Text.Json.Nodes.JsonNode? Json, string Text)
{
    public bool IsSuccess => (int)Status is >= 200 and < 300;
}

/// <summary>
/// Sends one request to a node and turns transport trouble (refused, reset, timeout, open circuit) into
/// <see cref="LightningFailure.Unavailable"/> — or, for a pay-out that may have reached the node, into
/// <see cref="LightningFailure.PaymentInFlight"/>; the body is read (at most 1 MB) for the backend to interpret.
/// </summary>
public sealed class NodeClient(HttpClient http, string node)
{
    private const int MaxReply = 1024 * 1024;

    public string Node => node;

    /// <summary>Sends the request; with <paramref name="firstLine"/> only the first line of a streamed answer is read (a stream that stays open).</summary>
    public async Task<NodeReply> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken, bool firstLine = false)
    {
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var bytes = await ReadBoundedAsync(response.Content, node, firstLine, cancellationToken);
            var text = System.Text.Encoding.UTF8.GetString(bytes);
            System.Text.Json.Nodes.JsonNode? json = null;
            try
            {
                json = bytes.Length == 0 ? null : System.Text.Json.Nodes.JsonNode.Parse(bytes);
            }
            catch (System.Text.Json.JsonException)
            {
            }

            return new NodeReply(response.StatusCode, json, text);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is HttpRequestException or TimeoutException or OperationCanceledException
            or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException or IOException)
        {
            // A pay-out that may have left is not "unavailable": the node may be paying it still.
            throw request.IsPayout() && !NeverSent(e)
                ? new LightningBackendException(LightningFailure.PaymentInFlight, $"{node} did not say how the payment ended ({e.Message}); it may still complete", e)
                : new LightningBackendException(LightningFailure.Unavailable, $"{node} did not answer: {e.Message}", e);
        }
    }

    // The circuit was open, or nobody listened: the request cannot have reached the node.
    private static bool NeverSent(Exception e) => e is Polly.CircuitBreaker.BrokenCircuitException
        || (e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } && e.InnerException is System.Net.Sockets.SocketException
        {
            SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused or System.Net.Sockets.SocketError.HostNotFound or System.Net.Sockets.SocketError.NetworkUnreachable,
        });

    /// <summary>The usual reading of a refusal: 401/403 is our credential, 5xx/408/429 the node's trouble, the rest a reply we cannot use.</summary>
    public LightningBackendException Failure(NodeReply reply, string call, string? message)
    {
        var detail = $"{node} {call}: HTTP {(int)reply.Status}{(string.IsNullOrEmpty(message) ? "" : $" {message}")}";
        return (int)reply.Status switch
        {
            401 or 403 => new LightningBackendException(LightningFailure.Refused, detail),
            408 or 429 or >= 500 => new LightningBackendException(LightningFailure.Unavailable, detail),
            _ => new LightningBackendException(LightningFailure.Misbehaved, detail),
        };
    }

    /// <summary>A reply that lacks what the API promises.</summary>
    public LightningBackendException Malformed(string call, string what) =>
        new(LightningFailure.Misbehaved, $"{node} {call}: malformed reply ({what})");

    private static async Task<byte[]> ReadBoundedAsync(HttpContent content, string node, bool firstLine, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxReply)
            {
                throw new LightningBackendException(LightningFailure.Misbehaved, $"{node} sent a reply larger than {MaxReply / 1024} KB");
            }

            buffer.Write(chunk, 0, read);
            if (firstLine && Array.IndexOf(chunk, (byte)'\n', 0, read) is var end and >= 0)
            {
                return buffer.ToArray()[..(int)(buffer.Length - read + end)];
            }
        }

        return buffer.ToArray();
    }
}
