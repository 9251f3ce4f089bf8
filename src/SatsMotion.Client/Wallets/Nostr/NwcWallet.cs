using System.Text.Json.Nodes;
using SatsMotion.Lightning.Bolt11;
using SatsMotion.Lightning.Nwc;

namespace SatsMotion.Client.Wallets.Nostr;

/// <summary>
/// Nostr Wallet Connect (NIP-47) as the client's wallet: pay_invoice to pay, lookup_invoice to find a payment made
/// before the process died. The protocol lives in <see cref="NwcConnection"/>; this adapts it to <see cref="IWallet"/>.
/// </summary>
public sealed class NwcWallet : IWallet
{
    private readonly NwcConnection _connection;

    public NwcWallet(string connectionUri, TimeSpan? timeout = null)
    {
        try
        {
            _connection = new NwcConnection(NwcUri.Parse(connectionUri), timeout ?? TimeSpan.FromSeconds(60));
        }
        catch (FormatException e)
        {
            throw new ClientException(ClientExit.Usage, e.Message);
        }
    }

    public string Name => $"Nostr Wallet Connect via {_connection.Uri.Relay.Host}";

    public async Task<byte[]> PayAsync(Bolt11Invoice invoice, long maxFeeSat, CancellationToken cancellationToken)
    {
        var result = await RequestAsync("pay_invoice", new JsonObject { ["invoice"] = invoice.PaymentRequest }, cancellationToken);
        var preimage = result["preimage"]?.GetValue<string>();
        return string.IsNullOrEmpty(preimage) ? throw new WalletException("the NWC wallet returned no preimage") : Convert.FromHexString(preimage);
    }

    public async Task<byte[]?> FindSettledAsync(Bolt11Invoice invoice, CancellationToken cancellationToken)
    {
        try
        {
            var result = await RequestAsync("lookup_invoice", new JsonObject { ["payment_hash"] = invoice.PaymentHashHex }, cancellationToken);
            var preimage = result["preimage"]?.GetValue<string>();
            return result["settled_at"] is not null && !string.IsNullOrEmpty(preimage) ? Convert.FromHexString(preimage) : null;
        }
        catch (WalletException)
        {
            return null;
        }
    }

    private async Task<JsonNode> RequestAsync(string method, JsonObject parameters, CancellationToken cancellationToken)
    {
        try
        {
            return await _connection.RequestAsync(method, parameters, cancellationToken);
        }
        catch (NwcException e)
        {
            throw new WalletException(e.Message);
        }
    }
}
