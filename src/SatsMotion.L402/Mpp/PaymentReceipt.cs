using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SatsMotion.L402.Mpp;

/// <summary>
/// The <c>Payment-Receipt</c> of a paid answer: base64url of {"status": "success", "method", "timestamp" (RFC 3339),
/// "reference", "challengeId"}; for Lightning the reference is the payment hash, never the preimage.
/// </summary>
public sealed record PaymentReceipt(string Method, DateTimeOffset Timestamp, string Reference, string? ChallengeId)
{
    public const string Header = "Payment-Receipt";

    private static readonly JsonWriterOptions Writing = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Writing))
        {
            writer.WriteStartObject();
            writer.WriteString("status", "success");
            writer.WriteString("method", Method);
            writer.WriteString("timestamp", Timestamp.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteString("reference", Reference);
            if (!string.IsNullOrEmpty(ChallengeId))
            {
                writer.WriteString("challengeId", ChallengeId);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public string ToHeaderValue() => Base64Url.Encode(Encoding.UTF8.GetBytes(ToJson()));
}
