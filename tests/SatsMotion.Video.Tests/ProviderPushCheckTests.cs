using System.Security.Cryptography;
using Org.BouncyCastle.Math.EC.Rfc8032;
using SatsMotion.Video.Fal;
using SatsMotion.Video.Remote;

namespace SatsMotion.Video.Tests;

/// <summary>
/// The checks of incoming provider pushes: Standard Webhooks (Replicate) against the specification's published test
/// vector, and fal's ED25519 signature against keys made here; each refuses a changed body, a wrong key and a stale time.
/// </summary>
public sealed class ProviderPushCheckTests
{
    // The Standard Webhooks specification's example (standard-webhooks/spec, "Verifying a webhook").
    private const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string Id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const long Timestamp = 1614265330;
    private const string Body = """{"test": 2432232314}""";
    private const string Signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    private static Dictionary<string, string> Headers(string signature = Signature, long timestamp = Timestamp) =>
        new(StringComparer.OrdinalIgnoreCase) { ["webhook-id"] = Id, ["webhook-timestamp"] = timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture), ["webhook-signature"] = signature };

    private static readonly DateTimeOffset Then = DateTimeOffset.FromUnixTimeSeconds(Timestamp);

    [Fact]
    public void The_published_vector_verifies_and_any_change_does_not()
    {
        Assert.True(StandardWebhookCheck.IsValid(Secret, Headers(), System.Text.Encoding.UTF8.GetBytes(Body), Then));
        Assert.True(StandardWebhookCheck.IsValid(Secret, Headers($"v1,AAAA{Signature[7..]} {Signature}"), System.Text.Encoding.UTF8.GetBytes(Body), Then)); // any listed signature
        Assert.False(StandardWebhookCheck.IsValid(Secret, Headers(), System.Text.Encoding.UTF8.GetBytes("""{"test": 2432232315}"""), Then));
        Assert.False(StandardWebhookCheck.IsValid("whsec_" + Convert.ToBase64String(new byte[24]), Headers(), System.Text.Encoding.UTF8.GetBytes(Body), Then));
        Assert.False(StandardWebhookCheck.IsValid(Secret, Headers("v2," + Signature[3..]), System.Text.Encoding.UTF8.GetBytes(Body), Then));
        Assert.False(StandardWebhookCheck.IsValid(Secret, Headers(), System.Text.Encoding.UTF8.GetBytes(Body), Then.AddMinutes(6)));
        Assert.False(StandardWebhookCheck.IsValid(Secret, Headers(), System.Text.Encoding.UTF8.GetBytes(Body), Then.AddMinutes(-6)));
        Assert.False(StandardWebhookCheck.IsValid(Secret, new Dictionary<string, string> { ["webhook-id"] = Id }, System.Text.Encoding.UTF8.GetBytes(Body), Then));
    }

    private static (byte[] Secret, byte[] Public) KeyPair()
    {
        var secret = RandomNumberGenerator.GetBytes(Ed25519.SecretKeySize);
        var key = new byte[Ed25519.PublicKeySize];
        Ed25519.GeneratePublicKey(secret, 0, key, 0);
        return (secret, key);
    }

    private static Dictionary<string, string> FalHeaders(byte[] secret, byte[] body, long timestamp)
    {
        var message = System.Text.Encoding.UTF8.GetBytes($"req-1\nuser-9\n{timestamp}\n{Convert.ToHexStringLower(SHA256.HashData(body))}");
        var signature = new byte[Ed25519.SignatureSize];
        Ed25519.Sign(secret, 0, message, 0, message.Length, signature, 0);
        return new(StringComparer.OrdinalIgnoreCase)
        {
            ["X-Fal-Webhook-Request-Id"] = "req-1",
            ["X-Fal-Webhook-User-Id"] = "user-9",
            ["X-Fal-Webhook-Timestamp"] = timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["X-Fal-Webhook-Signature"] = Convert.ToHexStringLower(signature),
        };
    }

    [Fact]
    public void A_fal_push_signed_by_a_published_key_names_its_request_and_nothing_else_does()
    {
        var (secret, key) = KeyPair();
        var (_, other) = KeyPair();
        var body = System.Text.Encoding.UTF8.GetBytes("""{"request_id":"req-1","status":"OK","payload":{}}""");
        var now = DateTimeOffset.UtcNow;
        var headers = FalHeaders(secret, body, now.ToUnixTimeSeconds());
        Assert.Equal("req-1", FalWebhookCheck.SignedRequestId([other, key], headers, body, now));
        Assert.Null(FalWebhookCheck.SignedRequestId([other], headers, body, now));
        Assert.Null(FalWebhookCheck.SignedRequestId([key], headers, [.. body, (byte)' '], now));
        Assert.Null(FalWebhookCheck.SignedRequestId([key], headers, body, now.AddMinutes(6)));

        // The user id is signed: the same headers with it changed fail. The copies keep the case-insensitive lookup
        // HTTP headers have (a plain copy finds no header at all, and would refuse whatever the signature).
        Assert.Equal("req-1", FalWebhookCheck.SignedRequestId([key], new Dictionary<string, string>(headers, StringComparer.OrdinalIgnoreCase), body, now));
        Assert.Null(FalWebhookCheck.SignedRequestId([key], new Dictionary<string, string>(headers, StringComparer.OrdinalIgnoreCase) { ["X-Fal-Webhook-User-Id"] = "user-8" }, body, now));
    }

    [Fact]
    public void The_keys_of_a_jwks_are_its_ed25519_ones()
    {
        var (_, key) = KeyPair();
        var x = Convert.ToBase64String(key).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var jwks = System.Text.Json.Nodes.JsonNode.Parse($$"""{"keys":[{"kty":"OKP","crv":"Ed25519","x":"{{x}}"},{"kty":"RSA","n":"abc","e":"AQAB"},{"kty":"OKP","crv":"X25519","x":"{{x}}"}]}""");
        Assert.Equal(key, Assert.Single(FalWebhookCheck.Keys(jwks)));
        Assert.Empty(FalWebhookCheck.Keys(System.Text.Json.Nodes.JsonNode.Parse("{}")));
    }
}
