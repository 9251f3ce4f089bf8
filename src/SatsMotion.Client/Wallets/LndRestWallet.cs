using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using SatsMotion.Lightning.Bolt11;

namespace SatsMotion.Client.Wallets;

/// <summary>
/// LND over its REST API: pays with POST /v1/channels/transactions (fee limit fixed in sats), looks earlier
/// payments up with GET /v1/payments. Authenticates with the hex macaroon in Grpc-Metadata-macaroon and trusts
/// the node's own TLS certificate when one is given.
/// </summary>
public sealed class LndRestWallet(HttpClient http, Uri host, string macaroonHex) : IWallet
{
    public string Name => $"LND at {host.Authority}";

    /// <summary>An HTTP client that trusts exactly the given certificate (LND's self-signed tls.cert).</summary>
    public static HttpClient CreateHttpClient(string? tlsCertificatePath)
    {
        if (tlsCertificatePath is null)
        {
            return new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        }

        var pinned = X509CertificateLoader.LoadCertificateFromFile(tlsCertificatePath);
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.RawData.AsSpan().SequenceEqual(pinned.RawData),
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(2) };
    }

    public async Task<byte[]> PayAsync(Bolt11Invoice invoice, long maxFeeSat, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(host, "/v1/channels/transactions"))
        {
            Content = JsonContent.Create(new { payment_request = invoice.PaymentRequest, fee_limit = new { @fixed = maxFeeSat.ToString(System.Globalization.CultureInfo.InvariantCulture) } }),
        };
        request.Headers.Add("Grpc-Metadata-macaroon", macaroonHex);
        using var response = await http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonNode>(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new WalletException($"LND refused ({(int)response.StatusCode}): {body?["message"] ?? body?["error"]}");
        }

        var error = body?["payment_error"]?.GetValue<string>();
        if (!string.IsNullOrEmpty(error))
        {
            throw new WalletException($"LND could not pay: {error}");
        }

        // LND's REST gateway sends bytes fields as base64.
        var preimage = body?["payment_preimage"]?.GetValue<string>();
        return string.IsNullOrEmpty(preimage) ? throw new WalletException("LND returned no preimage") : Convert.FromBase64String(preimage);
    }

    public async Task<byte[]?> FindSettledAsync(Bolt11Invoice invoice, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(host, "/v1/payments?include_incomplete=true&reversed=true&max_payments=200"));
        request.Headers.Add("Grpc-Metadata-macaroon", macaroonHex);
        using var response = await http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }

        var payments = (await response.Content.ReadFromJsonAsync<JsonNode>(cancellationToken))?["payments"]?.AsArray() ?? [];
        var match = payments.FirstOrDefault(p => p?["payment_hash"]?.GetValue<string>() == invoice.PaymentHashHex && p?["status"]?.GetValue<string>() == "SUCCEEDED");
        var preimage = match?["payment_preimage"]?.GetValue<string>();
        return string.IsNullOrEmpty(preimage) ? null : Convert.FromHexString(preimage);
    }
}
