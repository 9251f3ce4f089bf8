using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using SatsMotion.Lightning.Bolt11;

namespace SatsMotion.Client.Wallets.Nostr;

/// <summary>
/// Nostr Wallet Connect (NIP-47): a pay_invoice (or lookup_invoice) request as an encrypted kind-23194 event to the
/// wallet service through its relay; the kind-23195 reply that references it carries the preimage.
/// URI: nostr+walletconnect://&lt;wallet pubkey&gt;?relay=&lt;wss url&gt;&amp;secret=&lt;hex&gt;. Encryption is NIP-44 v2 when
/// the wallet's info event (kind 13194) lists nip44_v2, else NIP-04, as NIP-47 prescribes.
/// </summary>
public sealed class NwcWallet : IWallet
{
    private const int InfoKind = 13194;
    private const int RequestKind = 23194;
    private const int ResponseKind = 23195;
    private readonly byte[] _walletPubKey;
    private readonly Uri _relay;
    private readonly byte[] _secret;
    private readonly TimeSpan _timeout;

    public NwcWallet(string connectionUri, TimeSpan? timeout = null)
    {
        const string scheme = "nostr+walletconnect://";
        if (!connectionUri.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            throw new ClientException(ClientExit.Usage, "the NWC URI must start with nostr+walletconnect://");
        }

        var rest = connectionUri[scheme.Length..];
        var query = rest.IndexOf('?');
        var parameters = (query < 0 ? "" : rest[(query + 1)..]).Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToLookup(p => p[0], p => Uri.UnescapeDataString(p[1]));
        try
        {
            _walletPubKey = Convert.FromHexString(query < 0 ? rest : rest[..query]);
            _secret = Convert.FromHexString(parameters["secret"].Single());
            _relay = new Uri(parameters["relay"].First());
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or UriFormatException)
        {
            throw new ClientException(ClientExit.Usage, "the NWC URI needs a hex wallet pubkey, a relay and a hex secret");
        }

        _timeout = timeout ?? TimeSpan.FromSeconds(60);
    }

    public string Name => $"Nostr Wallet Connect via {_relay.Host}";

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
        var walletHex = Convert.ToHexStringLower(_walletPubKey);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        using var socket = new ClientWebSocket();
        try
        {
            await socket.ConnectAsync(_relay, timeout.Token);
            var nip44 = await SupportsNip44Async(socket, walletHex, timeout.Token);
            var plaintext = new JsonObject { ["method"] = method, ["params"] = parameters }.ToJsonString();
            var request = nip44
                ? NostrEvent.Sign(_secret, RequestKind, [["p", walletHex], ["encryption", "nip44_v2"]], Nip44.Encrypt(Nip44.ConversationKey(_secret, _walletPubKey), plaintext), DateTimeOffset.UtcNow)
                : NostrEvent.Sign(_secret, RequestKind, [["p", walletHex]], Nip04.Encrypt(_secret, _walletPubKey, plaintext), DateTimeOffset.UtcNow);

            // Subscribe to the reply before sending the request, so a fast wallet's answer is not missed.
            var filter = new JsonObject { ["kinds"] = new JsonArray(ResponseKind), ["authors"] = new JsonArray(walletHex), ["#e"] = new JsonArray(request.Id) };
            await SendAsync(socket, new JsonArray("REQ", "nwc", filter), timeout.Token);
            await SendAsync(socket, new JsonArray("EVENT", request.ToJson()), timeout.Token);
            while (true)
            {
                var message = await ReceiveAsync(socket, timeout.Token);
                if (message is JsonArray { Count: >= 3 } array && array[0]?.GetValue<string>() == "EVENT" && array[2] is JsonObject reply
                    && reply["kind"]?.GetValue<int>() == ResponseKind && reply["pubkey"]?.GetValue<string>() == walletHex)
                {
                    var content = reply["content"]!.GetValue<string>();
                    var decrypted = content.Contains("?iv=", StringComparison.Ordinal)
                        ? Nip04.Decrypt(_secret, _walletPubKey, content)
                        : Nip44.Decrypt(Nip44.ConversationKey(_secret, _walletPubKey), content);
                    var response = JsonNode.Parse(decrypted)!;
                    if (response["error"] is JsonObject error)
                    {
                        throw new WalletException($"the NWC wallet refused: {error["code"]} {error["message"]}");
                    }

                    return response["result"] ?? throw new WalletException("the NWC wallet replied without a result");
                }

                if (message is JsonArray { Count: >= 4 } ok && ok[0]?.GetValue<string>() == "OK" && ok[2]?.GetValue<bool>() == false)
                {
                    throw new WalletException($"the relay refused the request: {ok[3]}");
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new WalletException($"no answer from the NWC wallet within {_timeout.TotalSeconds:F0} s");
        }
        catch (WebSocketException e)
        {
            throw new WalletException($"could not talk to the relay {_relay}: {e.Message}");
        }
    }

    // The wallet's info event lists what it supports; no "encryption" tag means NIP-04 only.
    private static async Task<bool> SupportsNip44Async(ClientWebSocket socket, string walletHex, CancellationToken cancellationToken)
    {
        await SendAsync(socket, new JsonArray("REQ", "info", new JsonObject { ["kinds"] = new JsonArray(InfoKind), ["authors"] = new JsonArray(walletHex), ["limit"] = 1 }), cancellationToken);
        var nip44 = false;
        while (true)
        {
            var message = await ReceiveAsync(socket, cancellationToken) as JsonArray;
            if (message is { Count: >= 2 } && message[0]?.GetValue<string>() == "EOSE" && message[1]?.GetValue<string>() == "info")
            {
                await SendAsync(socket, new JsonArray("CLOSE", "info"), cancellationToken);
                return nip44;
            }

            if (message is { Count: >= 3 } && message[0]?.GetValue<string>() == "EVENT" && message[2] is JsonObject info && info["pubkey"]?.GetValue<string>() == walletHex)
            {
                nip44 = info["tags"]?.AsArray().Any(t => t is JsonArray { Count: >= 2 } tag && tag[0]?.GetValue<string>() == "encryption"
                    && tag[1]!.GetValue<string>().Split(' ').Contains("nip44_v2")) == true;
            }
        }
    }

    private static Task SendAsync(ClientWebSocket socket, JsonNode message, CancellationToken cancellationToken) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, cancellationToken);

    private static async Task<JsonNode?> ReceiveAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(chunk, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new WalletException("the relay closed the connection");
            }

            buffer.Write(chunk, 0, result.Count);
        }
        while (!result.EndOfMessage);
        return JsonNode.Parse(buffer.ToArray());
    }
}
