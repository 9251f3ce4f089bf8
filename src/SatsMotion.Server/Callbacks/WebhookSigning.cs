using System.Security.Cryptography;
using System.Text;
using SatsMotion.L402.Tokens;
using StandardWebhooks;

namespace SatsMotion.Server.Callbacks;

/// <summary>
/// Standard Webhooks signatures under a secret per paid token, derived from the server secret: only the token's
/// holder learns it (in the paid answer), and any server that shares the secret signs the same way. Each message is
/// signed under the token's secret from the current server secret and from each previous one (the scheme lets
/// webhook-signature carry several, space-separated, and a receiver accepts any that matches), so rotating the
/// server secret does not invalidate the webhook_secret a caller was given before it.
/// </summary>
public sealed class WebhookSigning(ServerSecrets secrets)
{
    /// <summary>The token's signing secret in the usual "whsec_" + base64 form (under the current server secret).</summary>
    public string SecretFor(string tokenId) => "whsec_" + Convert.ToBase64String(Key(secrets.Current, tokenId));

    /// <summary>The three Standard Webhooks headers of one attempt.</summary>
    public IReadOnlyList<(string Name, string Value)> Headers(string tokenId, string messageId, DateTimeOffset timestamp, string body) =>
    [
        ("webhook-id", messageId),
        ("webhook-timestamp", timestamp.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("webhook-signature", string.Join(' ', secrets.All.Select(secret => new StandardWebhook(Key(secret, tokenId)).Sign(messageId, timestamp, body)).Distinct())),
    ];

    private static byte[] Key(byte[] serverSecret, string tokenId) => HMACSHA256.HashData(serverSecret, Encoding.UTF8.GetBytes("satsmotion webhook secret " + tokenId));
}
