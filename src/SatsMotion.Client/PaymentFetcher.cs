using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using SatsMotion.Client.Wallets;
using SatsMotion.L402.Mpp;
using SatsMotion.Lightning.Bolt11;

namespace SatsMotion.Client;

/// <summary>How much the user agreed to pay: never above MaxCostSats; Confirm is asked when a price is above AutoApproveSats.</summary>
public sealed record PaymentPolicy(long MaxCostSats, long MaxFeeSats, long AutoApproveSats, Func<long, string, bool> Confirm);

/// <summary>What a fetch did: the final response, what was paid for it (0 when a cached token was used), and the scheme of the credential sent.</summary>
public sealed record FetchResult(HttpResponseMessage Response, long PaidSats, bool UsedCachedToken, string? Scheme = null);

/// <summary>
/// The 402 dance for any request, in either scheme: send; on 402 read the challenges (L402 or LSAT, and the
/// Payment scheme's Lightning charge), pick one (L402 unless MPP is preferred), check the price, record the token,
/// pay, record the preimage, resend with the credential. A token already paid for the same server and request is
/// reused, and a payment that may have been in flight is resolved through the wallet, never repeated.
/// </summary>
public sealed class PaymentFetcher(HttpClient http, IWallet wallet, TokenCache cache, TextWriter log, bool preferMpp = false)
{
    public const string L402 = "L402";
    public const string Mpp = "Payment";

    public async Task<FetchResult> SendAsync(HttpMethod method, Uri url, byte[]? body, IReadOnlyDictionary<string, string> headers, PaymentPolicy policy, CancellationToken cancellationToken)
    {
        var server = url.GetLeftPart(UriPartial.Authority);
        var key = RequestKey(method, url, body);
        var cached = cache.Find(server, key);
        if (cached is not null)
        {
            var preimage = cached.Preimage ?? await ResolveInFlightAsync(cached, cancellationToken);
            log.WriteLine($"using the token already paid for this request ({cached.PriceSats} sats)");
            return await RedeemAsync(method, url, body, headers, cached with { Preimage = preimage }, 0, true, cancellationToken);
        }

        var first = await SendOnceAsync(method, url, body, headers, null, cancellationToken);
        if (first.StatusCode != System.Net.HttpStatusCode.PaymentRequired)
        {
            return new FetchResult(first, 0, false);
        }

        var offer = Offer.Read(first, DateTimeOffset.UtcNow, preferMpp);
        var invoice = offer.Invoice;
        var price = invoice.AmountSat!.Value;
        if (price > policy.MaxCostSats)
        {
            throw new ClientException(ClientExit.PriceRefused, $"price {price} sats is above --max-cost {policy.MaxCostSats}; nothing was paid");
        }

        if (price > policy.AutoApproveSats && !policy.Confirm(price, invoice.Description ?? ""))
        {
            throw new ClientException(ClientExit.PriceRefused, $"price {price} sats not approved; nothing was paid");
        }

        var token = new CachedToken(server, key, offer.Macaroon, offer.PaymentRequest, invoice.PaymentHashHex, price, null, DateTimeOffset.UtcNow, offer.Payment?.ToHeaderValue());
        cache.Save(token);
        byte[] paid;
        try
        {
            log.WriteLine($"paying {price} sats with {wallet.Name}…");
            paid = await wallet.PayAsync(invoice, policy.MaxFeeSats, cancellationToken);
        }
        catch (WalletException e)
        {
            cache.Remove(token);
            throw new ClientException(ClientExit.PaymentFailed, e.Message);
        }

        if (!SHA256.HashData(paid).AsSpan().SequenceEqual(invoice.PaymentHash))
        {
            throw new ClientException(ClientExit.PaymentFailed, "the wallet returned a preimage that does not match the invoice");
        }

        token = token with { Preimage = Convert.ToHexStringLower(paid) };
        cache.Save(token);
        return await RedeemAsync(method, url, body, headers, token, price, false, cancellationToken);
    }

    /// <summary>True when a token for this request is cached (paid, or its payment in flight): sending it costs nothing more.</summary>
    public bool HasTokenFor(HttpMethod method, Uri url, byte[]? body) => cache.Find(url.GetLeftPart(UriPartial.Authority), RequestKey(method, url, body)) is not null;

    /// <summary>Same method, URL and body: the same paid request.</summary>
    public static string RequestKey(HttpMethod method, Uri url, byte[]? body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{method.Method} {url.AbsoluteUri}\n"));
        hash.AppendData(body ?? []);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private async Task<FetchResult> RedeemAsync(HttpMethod method, Uri url, byte[]? body, IReadOnlyDictionary<string, string> headers, CachedToken token, long paidSats, bool cached,
        CancellationToken cancellationToken)
    {
        var (scheme, credential) = Credential(token, preferMpp, DateTimeOffset.UtcNow);
        var response = await SendOnceAsync(method, url, body, headers, credential, cancellationToken);
        if (scheme == Mpp && response.IsSuccessStatusCode)
        {
            CheckReceipt(response, token.PaymentHash);
        }

        return new FetchResult(response, paidSats, cached, scheme);
    }

    /// <summary>
    /// The credential for a paid token: the Payment one while its challenge lasts when MPP is preferred or it is all
    /// there is, else L402 (whose token outlives the invoice). The server gives one job per payment either way.
    /// </summary>
    public static (string Scheme, string Authorization) Credential(CachedToken token, bool preferMpp, DateTimeOffset now)
    {
        var payment = token.PaymentChallenge is null ? null : PaymentChallenge.ParseAll([token.PaymentChallenge]).SingleOrDefault();
        var live = payment is not null && Offer.ExpiresAt(payment) > now;
        if (payment is not null && (token.Macaroon is null || (preferMpp && live)))
        {
            var credential = new PaymentCredential(payment, new JsonObject { ["preimage"] = token.Preimage }, null);
            return (Mpp, credential.ToHeaderValue());
        }

        return (L402, $"L402 {token.Macaroon}:{token.Preimage}");
    }

    // A receipt that names another payment is the server's mistake; the answer is still what was paid for.
    private void CheckReceipt(HttpResponseMessage response, string paymentHash)
    {
        if (!response.Headers.TryGetValues(PaymentReceipt.Header, out var values))
        {
            log.WriteLine("note: the server sent no Payment-Receipt");
            return;
        }

        var reference = Base64Url.TryDecode(values.First(), out var bytes) ? TryReference(bytes) : null;
        if (reference != paymentHash)
        {
            log.WriteLine($"note: the Payment-Receipt names {reference ?? "nothing readable"}, not the payment {paymentHash}");
        }
    }

    private static string? TryReference(byte[] json)
    {
        try
        {
            return JsonNode.Parse(json)?["reference"]?.GetValue<string>();
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    // The process died while paying: ask the wallet whether it settled instead of paying again.
    private async Task<string> ResolveInFlightAsync(CachedToken token, CancellationToken cancellationToken)
    {
        var invoice = Bolt11Codec.Decode(token.Invoice);
        var preimage = await wallet.FindSettledAsync(invoice, cancellationToken)
            ?? throw new ClientException(ClientExit.PaymentFailed,
                $"a payment of {token.PriceSats} sats for this request may still be in flight (hash {token.PaymentHash}); check your wallet, then run 'satsmotion tokens clear' to start again");
        var hex = Convert.ToHexStringLower(preimage);
        cache.Save(token with { Preimage = hex });
        return hex;
    }

    private async Task<HttpResponseMessage> SendOnceAsync(HttpMethod method, Uri url, byte[]? body, IReadOnlyDictionary<string, string> headers, string? authorization, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        try
        {
            return await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new ClientException(ClientExit.ServerError, $"could not reach {url.GetLeftPart(UriPartial.Authority)}: {e.Message}");
        }
    }
}
