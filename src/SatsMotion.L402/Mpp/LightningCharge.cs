using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using SatsMotion.L402.Tokens;

namespace SatsMotion.L402.Mpp;

/// <summary>Why a Payment credential is refused, each with the problem type the drafts give it.</summary>
public enum MppFailure
{
    None,

    /// <summary>Not base64url JSON of the draft's shape, or a preimage that is not 64 hex digits.</summary>
    MalformedCredential,

    /// <summary>A method or intent this server does not take (400).</summary>
    MethodUnsupported,

    /// <summary>The echoed challenge is not one this server issued (altered request or expires, a foreign id).</summary>
    InvalidChallenge,

    /// <summary>The challenge's time has passed.</summary>
    Expired,

    /// <summary>The preimage does not hash to the invoice's payment hash.</summary>
    InvalidPreimage,

    /// <summary>The challenge was issued for another request.</summary>
    RequestMismatch,
}

/// <summary>A verified charge: the invoice's payment hash, and the token id the same invoice's L402 macaroon carries.</summary>
public sealed record LightningChargePayment(byte[] PaymentHash, byte[] TokenId, string ChallengeId);

public sealed record MppVerification(LightningChargePayment? Payment, MppFailure Failure, string? Reason)
{
    public bool Success => Failure == MppFailure.None;

    public static MppVerification Fail(MppFailure failure, string reason) => new(null, failure, reason);
}

/// <summary>
/// The Lightning "charge" intent of the Payment scheme (tempoxyz/mpp-specs specs/methods/lightning,
/// draft-lightning-charge-00): the request is {"amount": "&lt;sats&gt;", "currency": "sat", "externalId": our
/// fingerprint of the HTTP request, "methodDetails": {"invoice", "network", "paymentHash"}}, the payload
/// {"preimage": "&lt;64 hex&gt;"}. The challenge id is the draft's stateless HMAC binding under a key derived from the
/// server secret, so any server that shares the secret verifies it and nothing is stored for a 402.
/// </summary>
public sealed class LightningCharge(ServerSecrets secrets, string realm, TimeProvider time)
{
    public const string Method = "lightning";
    public const string Intent = "charge";

    // Each secret with its challenge-id key, derived once: the current one first.
    private readonly (byte[] Secret, byte[] Key)[] _keys = [.. secrets.All.Select(secret => (secret, ServerSecrets.DeriveMppKey(secret)))];

    public string Realm => realm;

    public PaymentChallenge Mint(string invoice, byte[] paymentHash, long amountSat, string network, ReadOnlySpan<byte> requestHash, DateTimeOffset expires)
    {
        var request = new JsonObject
        {
            ["amount"] = amountSat.ToString(CultureInfo.InvariantCulture),
            ["currency"] = "sat",
            ["externalId"] = Convert.ToHexStringLower(requestHash),
            ["methodDetails"] = new JsonObject { ["invoice"] = invoice, ["network"] = network, ["paymentHash"] = Convert.ToHexStringLower(paymentHash) },
        };
        var encoded = Base64Url.Encode(Encoding.UTF8.GetBytes(Jcs.Canonicalize(request)));
        var expiresText = expires.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var id = PaymentChallenge.BindingId(_keys[0].Key, realm, Method, Intent, encoded, expiresText, null, null);
        return new PaymentChallenge(id, realm, Method, Intent, encoded, expiresText);
    }

    /// <summary>
    /// Checks a credential for the request whose fingerprint is <paramref name="requestHash"/>: method and intent, the
    /// id over the echoed parameters (constant time, current or previous secret), its expiry, the preimage, and
    /// that the challenge was issued for this request. Settlement at the node is the caller's.
    /// </summary>
    public MppVerification Verify(PaymentCredential credential, ReadOnlySpan<byte> requestHash)
    {
        var echoed = credential.Challenge;
        if (echoed.Method != Method || echoed.Intent != Intent)
        {
            return MppVerification.Fail(MppFailure.MethodUnsupported, $"method '{echoed.Method}' with intent '{echoed.Intent}' is not taken here: only {Method}/{Intent}");
        }

        var secret = IssuingSecret(echoed);
        if (secret is null)
        {
            return MppVerification.Fail(MppFailure.InvalidChallenge, "the challenge was not issued by this server, or was altered");
        }

        if (echoed.Expires is null || !DateTimeOffset.TryParse(echoed.Expires, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expires))
        {
            return MppVerification.Fail(MppFailure.InvalidChallenge, "the challenge has no expiry");
        }

        if (time.GetUtcNow() >= expires)
        {
            return MppVerification.Fail(MppFailure.Expired, $"the challenge expired at {echoed.Expires}");
        }

        // The request is ours (the HMAC says so): its fields are as we wrote them.
        var request = JsonNode.Parse(Base64Url.TryDecode(echoed.Request, out var bytes) ? bytes : [])!;
        var paymentHash = Convert.FromHexString(request["methodDetails"]!["paymentHash"]!.GetValue<string>());
        if (credential.Payload["preimage"] is not JsonValue value || value.GetValueKind() != System.Text.Json.JsonValueKind.String
            || value.GetValue<string>() is not { Length: 64 } hex || !hex.All(char.IsAsciiHexDigit))
        {
            return MppVerification.Fail(MppFailure.MalformedCredential, "the payload's preimage must be the 64 hex digits the wallet returned");
        }

        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Convert.FromHexString(hex)), paymentHash))
        {
            return MppVerification.Fail(MppFailure.InvalidPreimage, "the preimage does not hash to the invoice's payment hash");
        }

        if (request["externalId"]?.GetValue<string>() is not { } fingerprint || !CryptographicOperations.FixedTimeEquals(Convert.FromHexString(fingerprint), requestHash))
        {
            return MppVerification.Fail(MppFailure.RequestMismatch, "the challenge was paid for a different request");
        }

        return new MppVerification(new LightningChargePayment(paymentHash, ServerSecrets.DeriveTokenId(secret, paymentHash), echoed.Id), MppFailure.None, null);
    }

    // The secret whose key binds the echoed parameters to their id, or null.
    private byte[]? IssuingSecret(PaymentChallenge echoed)
    {
        var presented = Encoding.ASCII.GetBytes(echoed.Id);
        foreach (var (secret, key) in _keys)
        {
            // Every echoed parameter the draft binds, header included when echoed (-01): our challenges never select
            // another field, so an echo that claims one does not match.
            var expected = Encoding.ASCII.GetBytes(PaymentChallenge.BindingId(key, echoed.Realm, echoed.Method, echoed.Intent, echoed.Request,
                echoed.Expires, echoed.Digest, echoed.Opaque, echoed.Header));
            if (CryptographicOperations.FixedTimeEquals(expected, presented))
            {
                return secret;
            }
        }

        return null;
    }
}
