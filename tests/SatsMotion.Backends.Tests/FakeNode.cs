using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SatsMotion.Lightning.Bolt11;

namespace SatsMotion.Backends.Tests;

/// <summary>How a fake node behaves right now: as documented, or one of the failures a real node shows.</summary>
public enum NodeMode
{
    Normal,

    /// <summary>Every connection is dropped, as a stopped node or a broken network looks.</summary>
    Down,

    /// <summary>Every request is answered 503, as a node starting up or overloaded does.</summary>
    Failing,

    /// <summary>Invoices are signed for one sat more than asked.</summary>
    WrongAmount,

    /// <summary>The reported payment hash is not the invoice's.</summary>
    WrongHash,

    /// <summary>Every request is answered 200 with a page that is not the node's JSON, as a misrouted proxy does.</summary>
    Garbled,
}

/// <summary>An invoice a fake node issued, with the preimage it holds as payee.</summary>
public sealed record FakeInvoice(string PaymentRequest, byte[] PaymentHash, byte[] Preimage, long AmountMsat, string Description, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt)
{
    public DateTimeOffset? SettledAt { get; set; }

    public string PaymentHashHex => Convert.ToHexStringLower(PaymentHash);

    public bool IsExpired => SettledAt is null && DateTimeOffset.UtcNow >= ExpiresAt;
}

/// <summary>One request to a fake node and its answer, as bytes on the wire.</summary>
public sealed record NodeExchange(string Route, string Target, string? Request, int Status, string Response);

/// <summary>Writes to the response and keeps a copy.</summary>
internal sealed class TeeStream(Stream target, Stream copy) : Stream
{
    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush() => target.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => target.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count)
    {
        copy.Write(buffer, offset, count);
        target.Write(buffer, offset, count);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        copy.Write(buffer.Span);
        await target.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
}

public enum FakePaymentState
{
    InFlight,
    Succeeded,
    Failed,
}

/// <summary>An outgoing payment a fake node made, as its payment database holds it.</summary>
public sealed class FakeOutgoing(string paymentRequest, byte[] paymentHash, long amountMsat)
{
    private readonly TaskCompletionSource _final = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string PaymentRequest { get; } = paymentRequest;

    public byte[] PaymentHash { get; } = paymentHash;

    public string PaymentHashHex => Convert.ToHexStringLower(PaymentHash);

    public long AmountMsat { get; } = amountMsat;

    public string Id { get; } = Guid.NewGuid().ToString();

    public DateTimeOffset CreatedAt { get; } = DateTimeOffset.UtcNow;

    public FakePaymentState State { get; private set; } = FakePaymentState.InFlight;

    public byte[]? Preimage { get; private set; }

    public long FeeMsat { get; private set; }

    public string? FailureReason { get; private set; }

    /// <summary>What the route will cost once it settles.</summary>
    public long PlannedFeeMsat { get; set; }

    public DateTimeOffset? CompletedAt { get; private set; }

    /// <summary>Completes when the payment is final.</summary>
    public Task Final => _final.Task;

    internal void Succeed(byte[] preimage, long feeMsat)
    {
        (Preimage, FeeMsat, CompletedAt, State) = (preimage, feeMsat, DateTimeOffset.UtcNow, FakePaymentState.Succeeded);
        _final.TrySetResult();
    }

    internal void Fail(string reason)
    {
        (FailureReason, CompletedAt, State) = (reason, DateTimeOffset.UtcNow, FakePaymentState.Failed);
        _final.TrySetResult();
    }
}

/// <summary>
/// The common part of every fake Lightning node: a real Kestrel server on loopback (HTTPS with a fresh self-signed
/// certificate when asked, as LND and Core Lightning serve), a regtest key that signs real BOLT11 invoices, the
/// invoice book, what was paid out, and the failure modes. Each subclass maps its node's published REST API.
/// </summary>
public abstract class FakeNode : IAsyncDisposable
{
    private readonly byte[] _nodeKey = RandomNumberGenerator.GetBytes(32);
    private readonly Dictionary<string, FakeInvoice> _invoices = [];
    private WebApplication? _app;

    public NodeMode Mode { get; set; }

    public Uri Address { get; private set; } = null!;

    /// <summary>SHA-256 of the DER certificate served (HTTPS fakes only), as certthumbprint takes it.</summary>
    public string? CertificateThumbprint { get; private set; }

    /// <summary>The certificate served, PEM (HTTPS fakes only), for certfilepath.</summary>
    public string? CertificatePem { get; private set; }

    /// <summary>The pay-outs that went through, in order.</summary>
    public List<string> PaidOut { get; } = [];

    /// <summary>Every outgoing payment the node started (a node never starts a second one of a hash that is in flight or paid).</summary>
    public List<FakeOutgoing> Outgoing { get; } = [];

    /// <summary>While set, new pay-outs stay in flight until <see cref="ReleasePayouts"/>, as a payment whose HTLCs are held up.</summary>
    public bool HoldPayouts { get; set; }

    /// <summary>How long each pay-out takes before it ends (a slow route).</summary>
    public TimeSpan PayoutDelay { get; set; }

    /// <summary>The routing fee each pay-out costs, in msat.</summary>
    public long RouteFeeMsat { get; set; } = 1000;

    /// <summary>Every request that reached the node, as "METHOD /path".</summary>
    public List<string> Requests { get; } = [];

    /// <summary>Every request body and the answer to it, by route pattern ("POST /v1/invoices"), for the checks against the published definitions.</summary>
    public List<NodeExchange> Exchanges { get; } = [];

    public int CreateCalls { get; private set; }

    protected virtual bool UseTls => false;

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        X509Certificate2? certificate = UseTls ? SelfSigned() : null;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        }));
        _app = builder.Build();
        _app.Use(async (context, next) =>
        {
            lock (Requests)
            {
                Requests.Add($"{context.Request.Method} {context.Request.Path}");
            }

            if (Mode == NodeMode.Down)
            {
                context.Abort();
                return;
            }

            if (Mode == NodeMode.Failing)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            }

            if (Mode == NodeMode.Garbled)
            {
                context.Response.ContentType = "text/html";
                await context.Response.WriteAsync("<html><body>It works!</body></html>");
                return;
            }

            await RecordAsync(context, next);
        });
        Map(_app);
        await _app.StartAsync();
        var address = _app.Urls.Single();
        Address = new Uri(address.EndsWith('/') ? address : address + "/");
        if (certificate is not null)
        {
            CertificateThumbprint = Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
            CertificatePem = certificate.ExportCertificatePem();
        }
    }

    private async Task RecordAsync(HttpContext context, RequestDelegate next)
    {
        context.Request.EnableBuffering();
        var request = await new StreamReader(context.Request.Body, leaveOpen: true).ReadToEndAsync();
        context.Request.Body.Position = 0;
        var original = context.Response.Body;
        using var copy = new MemoryStream();
        context.Response.Body = new TeeStream(original, copy);
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = original;
            var route = context.GetEndpoint() is Microsoft.AspNetCore.Routing.RouteEndpoint endpoint
                ? $"{context.Request.Method} /{endpoint.RoutePattern.RawText!.TrimStart('/')}"
                : $"{context.Request.Method} {context.Request.Path}";
            lock (Exchanges)
            {
                Exchanges.Add(new NodeExchange(route, context.Request.Path + context.Request.QueryString, request.Length == 0 ? null : request,
                    context.Response.StatusCode, System.Text.Encoding.UTF8.GetString(copy.ToArray())));
            }
        }
    }

    /// <summary>Maps the node's REST routes, following its published API.</summary>
    protected abstract void Map(WebApplication app);

    /// <summary>
    /// The node's one channel: unannounced, to its LSP, as behind an LSP all inbound liquidity is. An invoice without
    /// a hint to it cannot be routed to.
    /// </summary>
    public static readonly Bolt11RouteHop LspChannel = new(Convert.FromHexString("02" + new string('5', 64)), 0x0000_0C80_0001_0000UL, 1000, 100, 40);

    /// <summary>Makes and signs an invoice (regtest), honouring <see cref="Mode"/>; with <paramref name="routeHint"/> it carries a hint to <see cref="LspChannel"/>.</summary>
    protected FakeInvoice CreateInvoice(long amountMsat, string description, TimeSpan expiry, bool routeHint = false)
    {
        CreateCalls++;
        var preimage = RandomNumberGenerator.GetBytes(32);
        var hash = SHA256.HashData(preimage);
        var now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var signedAmount = Mode == NodeMode.WrongAmount ? amountMsat + 1000 : amountMsat;
        var request = Bolt11Codec.Encode(Bolt11Network.Regtest, signedAmount, now,
        [
            Bolt11TaggedField.PaymentHash(hash),
            Bolt11TaggedField.PaymentSecret(RandomNumberGenerator.GetBytes(32)),
            Bolt11TaggedField.Description(description),
            Bolt11TaggedField.Expiry((long)expiry.TotalSeconds),
            .. (routeHint ? new[] { Bolt11TaggedField.RouteHint([LspChannel]) } : []),
        ], _nodeKey);
        var invoice = new FakeInvoice(request, hash, preimage, signedAmount, description, now, now + expiry);
        lock (_invoices)
        {
            _invoices[invoice.PaymentHashHex] = invoice;
        }

        return invoice;
    }

    /// <summary>The payment hash to report for an invoice: its own, unless the node is told to lie.</summary>
    protected byte[] ReportedHash(FakeInvoice invoice) => Mode == NodeMode.WrongHash ? SHA256.HashData(invoice.PaymentHash) : invoice.PaymentHash;

    public FakeInvoice? Find(string paymentHashHex)
    {
        lock (_invoices)
        {
            return _invoices.GetValueOrDefault(paymentHashHex.ToLowerInvariant());
        }
    }

    /// <summary>A wallet pays the invoice: it is settled and the payer learns the preimage (hex).</summary>
    public string Pay(string paymentRequest)
    {
        var invoice = Find(Bolt11Codec.Decode(paymentRequest).PaymentHashHex) ?? throw new InvalidOperationException("not an invoice of this node");
        invoice.SettledAt ??= DateTimeOffset.UtcNow;
        return Convert.ToHexStringLower(invoice.Preimage);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> RemotePreimages = new();

    /// <summary>An invoice of some other node on the network, which the fakes can "route" a payment to.</summary>
    public static string RemoteInvoice(long amountSat)
    {
        var preimage = RandomNumberGenerator.GetBytes(32);
        var hash = SHA256.HashData(preimage);
        RemotePreimages[Convert.ToHexStringLower(hash)] = preimage;
        return Bolt11Codec.Encode(Bolt11Network.Regtest, amountSat * 1000, DateTimeOffset.UtcNow,
            [Bolt11TaggedField.PaymentHash(hash), Bolt11TaggedField.PaymentSecret(RandomNumberGenerator.GetBytes(32)), Bolt11TaggedField.Description("refund")],
            RandomNumberGenerator.GetBytes(32));
    }

    /// <summary>The node's record of its payment of this hash (the latest attempt), if any.</summary>
    public FakeOutgoing? FindOutgoing(string paymentHashHex)
    {
        lock (Outgoing)
        {
            return Outgoing.LastOrDefault(p => p.PaymentHashHex == paymentHashHex.ToLowerInvariant());
        }
    }

    /// <summary>Ends the held pay-outs: paid to the payee (when a route is known) or failed.</summary>
    public void ReleasePayouts(bool succeed = true)
    {
        HoldPayouts = false;
        List<FakeOutgoing> held;
        lock (Outgoing)
        {
            held = Outgoing.Where(p => p.State == FakePaymentState.InFlight).ToList();
        }

        foreach (var payment in held)
        {
            Complete(payment, succeed ? null : "released as failed");
        }
    }

    /// <summary>
    /// Starts paying an outgoing invoice and returns the node's record of it: a payment of this hash that is in
    /// flight or paid already comes back as it is (<paramref name="existing"/>), as nodes refuse to pay an invoice
    /// twice; else a new one that ends after <see cref="PayoutDelay"/> (or on <see cref="ReleasePayouts"/> while
    /// held): paid when the payee is one the network knows and the fee is within <paramref name="maxFeeMsat"/>, else failed.
    /// </summary>
    protected FakeOutgoing StartPayout(string paymentRequest, long? maxFeeMsat, out bool existing, long? feeMsat = null)
    {
        var invoice = Bolt11Codec.Decode(paymentRequest);
        FakeOutgoing payment;
        lock (Outgoing)
        {
            var earlier = Outgoing.LastOrDefault(p => p.PaymentHashHex == invoice.PaymentHashHex);
            existing = earlier is { State: FakePaymentState.InFlight or FakePaymentState.Succeeded };
            if (existing)
            {
                return earlier!;
            }

            payment = new FakeOutgoing(paymentRequest, invoice.PaymentHash, invoice.AmountMsat ?? 0);
            Outgoing.Add(payment);
        }

        var fee = feeMsat ?? RouteFeeMsat;
        string? failure = !RemotePreimages.ContainsKey(invoice.PaymentHashHex) ? "no route"
            : maxFeeMsat < fee ? $"fee of {fee} msat above the limit of {maxFeeMsat} msat" : null;
        payment.PlannedFeeMsat = fee;
        if (!HoldPayouts)
        {
            _ = Task.Delay(PayoutDelay).ContinueWith(_ => Complete(payment, failure), TaskScheduler.Default);
        }

        return payment;
    }

    private void Complete(FakeOutgoing payment, string? failure)
    {
        if (failure is null && RemotePreimages.TryGetValue(payment.PaymentHashHex, out var preimage))
        {
            lock (PaidOut)
            {
                PaidOut.Add(payment.PaymentRequest);
            }

            payment.Succeed(preimage, payment.PlannedFeeMsat);
        }
        else
        {
            payment.Fail(failure ?? "no route");
        }
    }

    protected static string? Header(HttpContext context, string name) => context.Request.Headers.TryGetValue(name, out var value) ? value.ToString() : null;

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=fake-node", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}
