using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace SatsMotion.Lightning.Nwc;

/// <summary>A signed NIP-01 event: id = SHA-256 of [0, pubkey, created_at, kind, tags, content], BIP-340 signature.</summary>
public sealed record NostrEvent(string Id, string PubKey, long CreatedAt, int Kind, string[][] Tags, string Content, string Sig)
{
    public static NostrEvent Sign(byte[] secretKey, int kind, string[][] tags, string content, DateTimeOffset createdAt)
    {
        var pubkey = Convert.ToHexStringLower(Secp256k1.XOnlyPublicKey(secretKey));
        var seconds = createdAt.ToUnixTimeSeconds();
        var id = IdOf(pubkey, seconds, kind, tags, content);
        return new NostrEvent(Convert.ToHexStringLower(id), pubkey, seconds, kind, tags, content, Convert.ToHexStringLower(Secp256k1.SchnorrSign(id, secretKey)));
    }

    /// <summary>
    /// An event received from a relay, if it is what it claims: its id is the hash of its content and its signature is
    /// its author's (NIP-01; NIP-44 requires this before decrypting). Null for anything else, a forgery included.
    /// </summary>
    public static NostrEvent? Verified(JsonObject json)
    {
        try
        {
            var tags = json["tags"]!.AsArray().Select(t => t!.AsArray().Select(v => v!.GetValue<string>()).ToArray()).ToArray();
            var received = new NostrEvent(json["id"]!.GetValue<string>(), json["pubkey"]!.GetValue<string>(), json["created_at"]!.GetValue<long>(),
                json["kind"]!.GetValue<int>(), tags, json["content"]!.GetValue<string>(), json["sig"]!.GetValue<string>());
            var id = IdOf(received.PubKey, received.CreatedAt, received.Kind, received.Tags, received.Content);
            return received.Id.Length == 64 && CryptographicOperations.FixedTimeEquals(id, Convert.FromHexString(received.Id))
                && received.Sig.Length == 128 && received.PubKey.Length == 64
                && Secp256k1.SchnorrVerify(Convert.FromHexString(received.Sig), id, Convert.FromHexString(received.PubKey))
                ? received : null;
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The first value of the first tag named <paramref name="name"/>.</summary>
    public string? Tag(string name) => Tags.FirstOrDefault(t => t.Length >= 2 && t[0] == name)?[1];

    public JsonObject ToJson() => new()
    {
        ["id"] = Id,
        ["pubkey"] = PubKey,
        ["created_at"] = CreatedAt,
        ["kind"] = Kind,
        ["tags"] = new JsonArray(Tags.Select(t => (JsonNode)new JsonArray(t.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray())).ToArray()),
        ["content"] = Content,
        ["sig"] = Sig,
    };

    private static byte[] IdOf(string pubkey, long createdAt, int kind, string[][] tags, string content)
    {
        var text = new StringBuilder("[0,");
        Quote(text, pubkey).Append(',').Append(createdAt.ToString(CultureInfo.InvariantCulture)).Append(',').Append(kind.ToString(CultureInfo.InvariantCulture)).Append(",[");
        for (var i = 0; i < tags.Length; i++)
        {
            text.Append(i == 0 ? "[" : ",[");
            for (var j = 0; j < tags[i].Length; j++)
            {
                Quote(j == 0 ? text : text.Append(','), tags[i][j]);
            }

            text.Append(']');
        }

        Quote(text.Append("],"), content).Append(']');
        return SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
    }

    // NIP-01: escape only line break, double quote, backslash, carriage return, tab, backspace and form feed; every
    // other character verbatim (a JSON encoder's \u escapes would change the id).
    private static StringBuilder Quote(StringBuilder text, string value)
    {
        text.Append('"');
        foreach (var c in value)
        {
            _ = c switch
            {
                '\n' => text.Append("\\n"),
                '"' => text.Append("\\\""),
                '\\' => text.Append("\\\\"),
                '\r' => text.Append("\\r"),
                '\t' => text.Append("\\t"),
                '\b' => text.Append("\\b"),
                '\f' => text.Append("\\f"),
                _ => text.Append(c),
            };
        }

        return text.Append('"');
    }
}
