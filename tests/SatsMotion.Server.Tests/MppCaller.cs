using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SatsMotion.Server.Tests;

/// <summary>
/// What an MPP client does with a 402, written from the draft (not from the server's code): read the
/// <c>Payment</c> challenge's parameters, echo them with the preimage as base64url JSON, decode a receipt.
/// </summary>
public static partial class MppCaller
{
    [GeneratedRegex("(\\w+)=\"([^\"]*)\"")]
    private static partial Regex AuthParam();

    /// <summary>The parameters of the response's one Payment challenge.</summary>
    public static Dictionary<string, string> Challenge(HttpResponseMessage response)
    {
        var header = Assert.Single(response.Headers.WwwAuthenticate, h => h.Scheme == "Payment");
        return Parse(header.Parameter!);
    }

    /// <summary>The parameters of one challenge as text ("Payment id=\"…\", …", or its parameters alone).</summary>
    public static Dictionary<string, string> Parse(string challenge) =>
        AuthParam().Matches(challenge).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);

    /// <summary>The challenge's request, decoded: {amount, currency, externalId, methodDetails: {invoice, network, paymentHash}}.</summary>
    public static JsonNode Request(IReadOnlyDictionary<string, string> challenge) => JsonNode.Parse(Decode(challenge["request"]))!;

    public static string Credential(IReadOnlyDictionary<string, string> challenge, string preimage, bool padded = false, string scheme = "Payment")
    {
        var echoed = new JsonObject();
        foreach (var (name, value) in challenge)
        {
            echoed[name] = value;
        }

        var json = new JsonObject { ["challenge"] = echoed, ["payload"] = new JsonObject { ["preimage"] = preimage } }.ToJsonString();
        return $"{scheme} {Encode(Encoding.UTF8.GetBytes(json), padded)}";
    }

    /// <summary>The challenge with one parameter replaced, as a tampering caller would send it.</summary>
    public static Dictionary<string, string> With(IReadOnlyDictionary<string, string> challenge, string name, string value) =>
        new(challenge) { [name] = value };

    /// <summary>A request with one field of its JSON changed and re-encoded (the id no longer covers it).</summary>
    public static string RequestWith(IReadOnlyDictionary<string, string> challenge, Action<JsonNode> change)
    {
        var request = Request(challenge);
        change(request);
        return Encode(Encoding.UTF8.GetBytes(request.ToJsonString()), padded: false);
    }

    public static JsonNode Receipt(HttpResponseMessage response) =>
        JsonNode.Parse(Decode(Assert.Single(response.Headers.GetValues("Payment-Receipt"))))!;

    public static bool HasReceipt(HttpResponseMessage response) => response.Headers.Contains("Payment-Receipt");

    public static string Encode(byte[] bytes, bool padded)
    {
        var text = Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');
        return padded ? text : text.TrimEnd('=');
    }

    public static string Decode(string base64Url)
    {
        var text = base64Url.Replace('-', '+').Replace('_', '/');
        return Encoding.UTF8.GetString(Convert.FromBase64String(text.PadRight(text.Length + (4 - (text.Length % 4)) % 4, '=')));
    }

    public static AuthenticationHeaderValue? Line(HttpResponseMessage response, string scheme) =>
        response.Headers.WwwAuthenticate.SingleOrDefault(h => h.Scheme == scheme);
}
