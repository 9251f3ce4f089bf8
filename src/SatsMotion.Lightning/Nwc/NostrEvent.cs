using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SatsMotion.Lightning.Nwc;

/// <summary>A signed NIP-01 event: id = SHA-256 of [0, pubkey, created_at, kind, tags, content], BIP-340 signature.</summary>
public sealed record NostrEvent(string Id, string PubKey, long CreatedAt, int Kind, string[][] Tags, string Content, string Sig)
{
    // NIP-01 serializes with minimal escaping; the default encoder would escape '+' and others and change the id.
    private static readonly JsonSerializerOptions Serialization = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static NostrEvent Sign(byte[] secretKey, int kind, string[][] tags, string content, DateTimeOffset createdAt)
    {
        var pubkey = Convert.ToHexStringLower(Secp256k1.XOnlyPublicKey(secretKey));
        var seconds = createdAt.ToUnixTimeSeconds();
        var id = SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new object[] { 0, pubkey, seconds, kind, tags, content }, Serialization)));
        return new NostrEvent(Convert.ToHexStringLower(id), pubkey, seconds, kind, tags, content, Convert.ToHexStringLower(Secp256k1.SchnorrSign(id, secretKey)));
    }

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
}
