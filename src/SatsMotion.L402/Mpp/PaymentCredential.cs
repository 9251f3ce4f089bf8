using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SatsMotion.L402.Mpp;

/// <summary>
/// An <c>Authorization: Payment &lt;base64url JSON&gt;</c> credential: the echoed challenge, the method's payload, and
/// an optional source. Read as JSON (clients order members differently), never compared as bytes.
/// </summary>
public sealed record PaymentCredential(PaymentChallenge Challenge, JsonObject Payload, string? Source)
{
    /// <summary>Largest credential read (the draft asks servers to take at least 4 KB).</summary>
    public const int MaxLength = 64 * 1024;

    /// <summary>True when the header is a Payment credential at all (then <see cref="TryParse"/> says whether it is well-formed).</summary>
    public static bool IsPayment(string? authorization) =>
        authorization is not null && authorization.TrimStart().StartsWith(PaymentChallenge.Scheme, StringComparison.OrdinalIgnoreCase)
        && (authorization.TrimStart().Length == PaymentChallenge.Scheme.Length || authorization.TrimStart()[PaymentChallenge.Scheme.Length] is ' ' or '\t');

    public static bool TryParse(string? authorization, out PaymentCredential? credential, out string? error)
    {
        credential = null;
        if (!IsPayment(authorization))
        {
            error = "not a Payment credential";
            return false;
        }

        var token = authorization!.TrimStart()[PaymentChallenge.Scheme.Length..].Trim();
        if (token.Length == 0 || token.Length > MaxLength || !Base64Url.TryDecode(token, out var bytes))
        {
            error = token.Length == 0 ? "the credential is empty" : "the credential is not base64url";
            return false;
        }

        JsonObject? json;
        try
        {
            json = JsonNode.Parse(bytes) as JsonObject;
        }
        catch (JsonException)
        {
            json = null;
        }

        if (json is null)
        {
            error = "the credential is not a JSON object";
            return false;
        }

        string? Text(JsonNode? node, string name) => node?[name] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
        var challenge = json["challenge"] as JsonObject;
        if (challenge is null || Text(challenge, "id") is not { Length: > 0 } id || Text(challenge, "realm") is not { } realm || Text(challenge, "method") is not { } method
            || Text(challenge, "intent") is not { } intent || Text(challenge, "request") is not { } request)
        {
            error = "the credential's challenge lacks id, realm, method, intent or request";
            return false;
        }

        if (json["payload"] is not JsonObject payload)
        {
            error = "the credential has no payload";
            return false;
        }

        credential = new PaymentCredential(
            new PaymentChallenge(id, realm, method, intent, request, Text(challenge, "expires"), Text(challenge, "digest"), Text(challenge, "description"), Text(challenge, "opaque"),
                Text(challenge, "header")),
            payload, Text(json, "source"));
        error = null;
        return true;
    }

    /// <summary>The header value a client sends: the challenge echoed with its optional parameters, and the payload.</summary>
    public string ToHeaderValue()
    {
        var challenge = new JsonObject();
        foreach (var (name, value) in Challenge.Parameters())
        {
            challenge[name] = value;
        }

        var json = new JsonObject { ["challenge"] = challenge, ["payload"] = Payload.DeepClone() };
        if (Source is not null)
        {
            json["source"] = Source;
        }

        return $"{PaymentChallenge.Scheme} {Base64Url.Encode(Encoding.UTF8.GetBytes(json.ToJsonString()))}";
    }
}
