using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SatsMotion.Lightning.Bolt11;

namespace SatsMotion.Client.Wallets;

/// <summary>The test wallet of a SatsMotion server running its dev node (POST /api/dev/pay). No real money.</summary>
public sealed class DevWallet(HttpClient http, Uri server) : IWallet
{
    public string Name => $"dev node of {server}";

    public async Task<byte[]> PayAsync(Bolt11Invoice invoice, long maxFeeSat, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync(new Uri(server, "/api/dev/pay"), new { invoice = invoice.PaymentRequest }, cancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonNode>(cancellationToken);
        if (!response.IsSuccessStatusCode || body?["preimage"] is null)
        {
            throw new WalletException($"the dev wallet refused ({(int)response.StatusCode}): {body?["error"] ?? "no preimage"}");
        }

        return Convert.FromHexString(body["preimage"]!.GetValue<string>());
    }

    // Paying a settled dev invoice again returns the same preimage and moves nothing.
    public async Task<byte[]?> FindSettledAsync(Bolt11Invoice invoice, CancellationToken cancellationToken)
    {
        try
        {
            return await PayAsync(invoice, 0, cancellationToken);
        }
        catch (WalletException)
        {
            return null;
        }
    }
}
