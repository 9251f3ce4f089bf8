using System.Security.Cryptography;
using System.Text;
using SatsMotion.Client.Wallets;
using SatsMotion.L402.Tokens;
using SatsMotion.Lightning.Bolt11;

namespace SatsMotion.Client;

/// <summary>How much the user agreed to pay: never above MaxCostSats; Confirm is asked when a price is above AutoApproveSats.</summary>
public sealed record PaymentPolicy(long MaxCostSats, long MaxFeeSats, long AutoApproveSats, Func<long, string, bool> Confirm);

/// <summary>What a fetch did: the final response, and what was paid for it (0 when a cached token was used).</summary>
public sealed record FetchResult(HttpResponseMessage Response, long PaidSats, bool UsedCachedToken);

/// <summary>
/// The L402 dance for any request: send; on 402 read the challenge (L402 or LSAT), check the price, record the
/// token, pay, record the preimage, resend with the credential. A token already paid for the same server and
/// request is reused, and a payment that may have been in flight is resolved through the wallet, never repeated.
/// </summary>
public sealed class L402Fetcher(HttpClient http, IWallet wallet, TokenCache cache, TextWriter log)
{
    public async Task<FetchResult> SendAsync(HttpMethod method, Uri url, byte[]? body, IReadOnlyDictionary<string, string> headers, PaymentPolicy policy, CancellationToken cancellationToken)
    {
        var server = url.GetLeftPart(UriPartial.Authority);
        var key = RequestKey(method, url, body);
        var cached = cache.Find(server, key);
        if (cached is not null)
        {
            var preimage = cached.Preimage ?? await ResolveInFlightAsync(cached, cancellationToken);
            log.WriteLine($"using the token already paid for this request ({cached.PriceSats} sats)");
            return new FetchResult(await SendOnceAsync(method, url, body, headers, $"L402 {cached.Macaroon}:{preimage}", cancellationToken), 0, true);
        }

        var first = await SendOnceAsync(method, url, body, headers, null, cancellationToken);
        if (first.StatusCode != System.Net.HttpStatusCode.PaymentRequired)
        {
            return new FetchResult(first, 0, false);
        }

        var challengeHeader = string.Join(", ", first.Headers.WwwAuthenticate.Select(h => h.ToString()));
        if (!L402Challenge.TryParse(challengeHeader, out var challenge, out var challengeError))
        {
            throw new ClientException(ClientExit.ServerError, $"the server asked for payment but its challenge is unusable: {challengeError}");
        }

        if (!Bolt11Codec.TryDecode(challenge!.Invoice, out var invoice, out var invoiceError))
        {
            throw new ClientException(ClientExit.ServerError, $"the challenge's invoice is invalid: {invoiceError}");
        }

        if (invoice!.AmountSat is not { } price)
        {
            throw new ClientException(ClientExit.PriceRefused, "the invoice has no amount; refusing to pay an open amount");
        }

        if (price > policy.MaxCostSats)
        {
            throw new ClientException(ClientExit.PriceRefused, $"price {price} sats is above --max-cost {policy.MaxCostSats}; nothing was paid");
        }

        if (price > policy.AutoApproveSats && !policy.Confirm(price, invoice.Description ?? ""))
        {
            throw new ClientException(ClientExit.PriceRefused, $"price {price} sats not approved; nothing was paid");
        }

        var token = new CachedToken(server, key, challenge.Macaroon, challenge.Invoice, invoice.PaymentHashHex, price, null, DateTimeOffset.UtcNow);
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

        var preimageHex = Convert.ToHexStringLower(paid);
        cache.Save(token with { Preimage = preimageHex });
        return new FetchResult(await SendOnceAsync(method, url, body, headers, $"L402 {challenge.Macaroon}:{preimageHex}", cancellationToken), price, false);
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
