using System.Globalization;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SatsMotion.Lightning.Nwc;

/// <summary>
/// Sends one NIP-47 request to a wallet service through its relay and returns the <c>result</c> of the reply: the
/// request is an encrypted kind-23194 event, the reply the kind-23195 event that names it in an "e" tag. Encryption
/// is NIP-44 v2 when the wallet's info event (kind 13194) lists nip44_v2 in its "encryption" tag, else NIP-04, as
/// NIP-47 prescribes. The relay is not trusted: only events whose id and BIP-340 signature verify as the wallet's,
/// and (replies) that name our request, are read; anything else is skipped, so an old reply replayed by the relay
/// cannot answer a new request. Each request has its own WebSocket, so a relay that went away costs nothing to
/// recover from. Every failure is an <see cref="NwcException"/>.
/// </summary>
public sealed class NwcConnection(NwcUri uri, TimeSpan timeout)
{
    private const int InfoKind = 13194;
    private const int RequestKind = 23194;
    private const int ResponseKind = 23195;
    private const int MaxMessage = 1024 * 1024;

    // A request stuck at a relay must not be carried out long after we gave up on it (a payment above all); the
    // margin tolerates a wallet whose clock is somewhat off.
    private static readonly TimeSpan ExpirationMargin = TimeSpan.FromSeconds(60);

    // Learnt from the wallet's info event once it has been seen; until then asked again on every request.
    private bool? _nip44;

    public NwcUri Uri => uri;

    public TimeSpan Timeout { get; } = timeout;

    /// <summary>Sends <paramref name="method"/> and waits for its reply, at most the connection's timeout unless <paramref name="within"/> says otherwise.</summary>
    public async Task<JsonNode> RequestAsync(string method, JsonObject parameters, CancellationToken cancellationToken, TimeSpan? within = null)
    {
        var wait = within ?? Timeout;
        var walletHex = uri.WalletPubKeyHex;
        var skipped = 0;
        var sent = false;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(wait);
        using var socket = new ClientWebSocket();
        try
        {
            await socket.ConnectAsync(uri.Relay, deadline.Token);
            var nip44 = _nip44 ?? await SupportsNip44Async(socket, walletHex, deadline.Token);
            var plaintext = new JsonObject { ["method"] = method, ["params"] = parameters }.ToJsonString();
            var expiration = (DateTimeOffset.UtcNow + wait + ExpirationMargin).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            var request = nip44
                ? NostrEvent.Sign(uri.Secret, RequestKind, [["p", walletHex], ["encryption", "nip44_v2"], ["expiration", expiration]], Nip44.Encrypt(Nip44.ConversationKey(uri.Secret, uri.WalletPubKey), plaintext), DateTimeOffset.UtcNow)
                : NostrEvent.Sign(uri.Secret, RequestKind, [["p", walletHex], ["expiration", expiration]], Nip04.Encrypt(uri.Secret, uri.WalletPubKey, plaintext), DateTimeOffset.UtcNow);

            // Subscribe to the reply before sending the request, so a fast wallet's answer is not missed.
            var filter = new JsonObject { ["kinds"] = new JsonArray(ResponseKind), ["authors"] = new JsonArray(walletHex), ["#e"] = new JsonArray(request.Id) };
            await SendAsync(socket, new JsonArray("REQ", "nwc", filter), deadline.Token);
            sent = true;
            await SendAsync(socket, new JsonArray("EVENT", request.ToJson()), deadline.Token);
            while (true)
            {
                var message = await ReceiveAsync(socket, deadline.Token) as JsonArray;
                switch (Text(message, 0))
                {
                    case "EVENT" when message!.Count >= 3 && message[2] is JsonObject json && Text(json["kind"]) == ResponseKind.ToString(CultureInfo.InvariantCulture):
                        if (FromWallet(json, ResponseKind, walletHex) is not { } reply || reply.Tag("e") != request.Id || (reply.Tag("p") is { } to && to != request.PubKey))
                        {
                            skipped++;
                            break;
                        }

                        return Result(Decrypt(reply.Content));
                    case "OK" when message!.Count >= 4 && message[2]?.GetValueKind() == JsonValueKind.False:
                        throw new NwcException(NwcProblem.RelayRejected, $"the relay refused the request: {Text(message, 3)}");
                    case "CLOSED" when Text(message, 1) == "nwc":
                        throw new NwcException(NwcProblem.RelayRejected, $"the relay closed the subscription: {Text(message, 2)}");
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new NwcException(NwcProblem.NoAnswer, $"no answer from the NWC wallet within {wait.TotalSeconds:F0} s"
                + (skipped > 0 ? $" ({skipped} event{(skipped == 1 ? "" : "s")} that did not verify as the wallet's reply to this request were ignored)" : ""),
                requestSent: sent);
        }
        catch (WebSocketException e)
        {
            throw new NwcException(NwcProblem.RelayUnreachable, $"could not talk to the relay {uri.Relay}: {e.Message}", inner: e, requestSent: sent);
        }
        catch (NwcException e) when (sent && !e.RequestSent && e.Problem is NwcProblem.RelayUnreachable or NwcProblem.Malformed)
        {
            throw new NwcException(e.Problem, e.Message, e.Code, e, requestSent: true);
        }
    }

    private string Decrypt(string content)
    {
        try
        {
            // NIP-04 payloads carry "?iv="; NIP-44 payloads are plain base64.
            return content.Contains("?iv=", StringComparison.Ordinal)
                ? Nip04.Decrypt(uri.Secret, uri.WalletPubKey, content)
                : Nip44.Decrypt(Nip44.ConversationKey(uri.Secret, uri.WalletPubKey), content);
        }
        catch (Exception e) when (e is FormatException or CryptographicException or ArgumentException)
        {
            throw new NwcException(NwcProblem.Malformed, $"the NWC wallet's reply does not decrypt: {e.Message}", inner: e);
        }
    }

    private static JsonNode Result(string decrypted)
    {
        JsonNode? response;
        try
        {
            response = JsonNode.Parse(decrypted);
        }
        catch (JsonException e)
        {
            throw new NwcException(NwcProblem.Malformed, "the NWC wallet's reply is not JSON", inner: e);
        }

        if (response?["error"] is JsonObject error)
        {
            var code = Text(error["code"]);
            throw new NwcException(NwcProblem.WalletError, $"the NWC wallet refused: {code} {Text(error["message"])}", code);
        }

        return response?["result"] ?? throw new NwcException(NwcProblem.Malformed, "the NWC wallet replied without a result");
    }

    // The wallet's info event lists what it supports; no "encryption" tag means NIP-04 only.
    private async Task<bool> SupportsNip44Async(ClientWebSocket socket, string walletHex, CancellationToken cancellationToken)
    {
        await SendAsync(socket, new JsonArray("REQ", "info", new JsonObject { ["kinds"] = new JsonArray(InfoKind), ["authors"] = new JsonArray(walletHex), ["limit"] = 1 }), cancellationToken);
        bool? nip44 = null;
        while (true)
        {
            var message = await ReceiveAsync(socket, cancellationToken) as JsonArray;
            if (Text(message, 0) is "EOSE" or "CLOSED" && Text(message, 1) == "info")
            {
                await SendAsync(socket, new JsonArray("CLOSE", "info"), cancellationToken);
                _nip44 = nip44;
                return nip44 ?? false;
            }

            if (Text(message, 0) == "EVENT" && message!.Count >= 3 && message[2] is JsonObject json && FromWallet(json, InfoKind, walletHex) is { } info)
            {
                nip44 = (info.Tag("encryption") ?? "").Split(' ').Contains("nip44_v2");
            }
        }
    }

    // An event of this kind whose id and signature verify as the wallet's own.
    private static NostrEvent? FromWallet(JsonObject json, int kind, string walletHex) =>
        Text(json["kind"]) == kind.ToString(CultureInfo.InvariantCulture) && Text(json["pubkey"]) == walletHex ? NostrEvent.Verified(json) : null;

    private static string? Text(JsonArray? array, int index) => array is not null && array.Count > index ? Text(array[index]) : null;

    // Relays and wallets are not ours: read any JSON value as text, never throw on an unexpected type.
    private static string? Text(JsonNode? node) => node?.GetValueKind() switch
    {
        JsonValueKind.String => node.GetValue<string>(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => node.ToJsonString(),
        _ => null,
    };

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
                throw new NwcException(NwcProblem.RelayUnreachable, "the relay closed the connection");
            }

            if (buffer.Length + result.Count > MaxMessage)
            {
                throw new NwcException(NwcProblem.Malformed, $"the relay sent a message larger than {MaxMessage / 1024} KB");
            }

            buffer.Write(chunk, 0, result.Count);
        }
        while (!result.EndOfMessage);
        try
        {
            return JsonNode.Parse(buffer.ToArray());
        }
        catch (JsonException)
        {
            return null; // not a relay message we understand: skip it
        }
    }
}
