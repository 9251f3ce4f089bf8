using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace SatsMotion.Video.Fal;

/// <summary>
/// fal's webhook signature (docs.fal.ai, "Verifying your webhook"): X-Fal-Webhook-Signature is the hex ED25519
/// signature, by one of the keys fal publishes as a JWKS, of request id, user id, timestamp and the hex SHA-256 of the
/// body, each followed by a newline but the last; the timestamp (Unix seconds) must be within 5 minutes.
/// </summary>
public static class FalWebhookCheck
{
    public static readonly Uri PublicKeys = new("https://rest.alpha.fal.ai/.well-known/jwks.json");

    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    /// <summary>The request id the push is signed for, or null when no published key signed it (or it is stale).</summary>
    public static string? SignedRequestId(IReadOnlyList<byte[]> keys, IReadOnlyDictionary<string, string> headers, byte[] body, DateTimeOffset now)
    {
        if (!headers.TryGetValue("x-fal-webhook-request-id", out var requestId) || !headers.TryGetValue("x-fal-webhook-user-id", out var userId)
            || !headers.TryGetValue("x-fal-webhook-timestamp", out var timestamp) || !headers.TryGetValue("x-fal-webhook-signature", out var signatureHex)
            || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || Math.Abs(now.ToUnixTimeSeconds() - seconds) > Tolerance.TotalSeconds
            || signatureHex.Length != Ed25519.SignatureSize * 2)
        {
            return null;
        }

        byte[] signature;
        try
        {
            signature = Convert.FromHexString(signatureHex);
        }
        catch (FormatException)
        {
            return null;
        }

        var message = System.Text.Encoding.UTF8.GetBytes($"{requestId}\n{userId}\n{timestamp}\n{Convert.ToHexStringLower(SHA256.HashData(body))}");
        return keys.Any(key => key.Length == Ed25519.PublicKeySize && Ed25519.Verify(signature, 0, key, 0, message, 0, message.Length)) ? requestId : null;
    }

    /// <summary>The Ed25519 keys of a JWKS document ({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": base64url}]}).</summary>
    public static IReadOnlyList<byte[]> Keys(JsonNode? jwks) =>
        [.. (jwks?["keys"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(k => k["kty"]?.GetValue<string>() == "OKP" && k["crv"]?.GetValue<string>() == "Ed25519" && k["x"] is JsonValue)
            .Select(k => Base64Url(k["x"]!.GetValue<string>())).OfType<byte[]>()];

    private static byte[]? Base64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += new string('=', (4 - (padded.Length % 4)) % 4);
        try
        {
            return Convert.FromBase64String(padded);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
