using System.Security.Cryptography;
using System.Text;
using SatsMotion.L402.Tokens;
using StandardWebhooks;

namespace SatsMotion.Server.Callbacks;

/// <summary>
/// Standard Webhooks signatures under a secret per paid token, derived from the server secret: only the token's
/// holder learns it (in the paid answer), and any server that shares the secret signs the same way.
/// </summary>
public sealed class WebhookSigning(ServerSecrets secrets)
{
    /// <summary>The token's signing secret in the usual "whsec_" + base64 form.</summary>
    public string SecretFor(string tokenId) => "whsec_" + Convert.ToBase64String(Key(tokenId));

    /// <summary>The three Standard Webhooks headers of one attempt.</summary>
    public IReadOnlyList<(string Name, string Value)> Headers(string tokenId, string messageId, DateTimeOffset timestamp, string body) =>
    [
        ("webhook-id", messageId),
        ("webhook-timestamp", timestamp.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("webhook-signature", new StandardWebhook(Key(tokenId)).Sign(messageId, timestamp, body)),
    ];

    private byte[] Key(string tokenId) => HMACSHA256.HashData(secrets.Current, Encoding.UTF8.GetBytes("satsmotion webhook secret " + tokenId));
}
