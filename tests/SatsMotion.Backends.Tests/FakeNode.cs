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
}

/// <summary>An invoice a fake node issued, with the preimage it holds as payee.</summary>
public sealed record FakeInvoice(string PaymentRequest, byte[] PaymentHash, byte[] Preimage, long AmountMsat, string Description, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt)
{
    public DateTimeOffset? SettledAt { get; set; }

    public string PaymentHashHex => Convert.ToHexStringLower(PaymentHash);

    public bool IsExpired => SettledAt is null && DateTimeOffset.UtcNow >= ExpiresAt;
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

    public List<string> PaidOut { get; } = [];

    /// <summary>Every request that reached the node, as "METHOD /path".</summary>
    public List<string> Requests { get; } = [];

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

            await next(context);
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

    /// <summary>Maps the node's REST routes, following its published API.</summary>
    protected abstract void Map(WebApplication app);

    /// <summary>Makes and signs an invoice (regtest), honouring <see cref="Mode"/>.</summary>
    protected FakeInvoice CreateInvoice(long amountMsat, string description, TimeSpan expiry)
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

    /// <summary>Pays an outgoing invoice: recorded, and the preimage is the payee's; null when there is no route.</summary>
    protected byte[]? PayOutgoing(string paymentRequest)
    {
        var hash = Bolt11Codec.Decode(paymentRequest).PaymentHashHex;
        if (!RemotePreimages.TryGetValue(hash, out var preimage))
        {
            return null;
        }

        PaidOut.Add(paymentRequest);
        return preimage;
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
