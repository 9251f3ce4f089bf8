using System.Text;
using SatsMotion.L402.Macaroons;

namespace SatsMotion.L402.Mpp;

/// <summary>
/// One <c>WWW-Authenticate: Payment …</c> challenge of the Payment HTTP authentication scheme (IETF
/// draft-httpauth-payment, tempoxyz/mpp-specs specs/core): parameters id, realm, method, intent, request (base64url of
/// a JCS JSON object), and the optional expires, digest, description, opaque and (from -01) header, the field the
/// credential must come in when it is not Authorization.
/// </summary>
public sealed record PaymentChallenge(
    string Id,
    string Realm,
    string Method,
    string Intent,
    string Request,
    string? Expires = null,
    string? Digest = null,
    string? Description = null,
    string? Opaque = null,
    string? Header = null)
{
    public const string Scheme = "Payment";

    /// <summary>
    /// The stateless binding the draft recommends: base64url of HMAC-SHA256 over the seven slots
    /// realm|method|intent|request|expires|digest|opaque, an absent one empty (the delimiters stay), and draft -01's
    /// eighth slot, header, only when it is present (so the ids of header-less challenges are what -00 made them).
    /// </summary>
    public static string BindingId(ReadOnlySpan<byte> key, string realm, string method, string intent, string request, string? expires, string? digest, string? opaque, string? header = null) =>
        Base64Url.Encode(FastHmacSha256.Compute(key, Encoding.UTF8.GetBytes(BindingInput(realm, method, intent, request, expires, digest, opaque, header))));

    public static string BindingInput(string realm, string method, string intent, string request, string? expires, string? digest, string? opaque, string? header = null) =>
        header is null ? $"{realm}|{method}|{intent}|{request}|{expires}|{digest}|{opaque}" : $"{realm}|{method}|{intent}|{request}|{expires}|{digest}|{opaque}|{header}";

    /// <summary>The header value, parameters in the draft's order, each a quoted-string (RFC 9110: only '"' and '\' escaped).</summary>
    public string ToHeaderValue()
    {
        var text = new StringBuilder(Scheme);
        var first = true;
        foreach (var (name, value) in Parameters())
        {
            text.Append(first ? " " : ", ").Append(name).Append("=\"").Append(value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
            first = false;
        }

        return text.ToString();
    }

    public IEnumerable<(string Name, string Value)> Parameters()
    {
        yield return ("id", Id);
        yield return ("realm", Realm);
        yield return ("method", Method);
        yield return ("intent", Intent);
        yield return ("request", Request);
        foreach (var (name, value) in new[] { ("expires", Expires), ("digest", Digest), ("description", Description), ("opaque", Opaque), ("header", Header) })
        {
            if (value is not null)
            {
                yield return (name, value);
            }
        }
    }

    /// <summary>
    /// Every complete Payment challenge in one or more WWW-Authenticate values (a field may join several challenges,
    /// of any scheme, with commas); other schemes are skipped.
    /// </summary>
    public static IReadOnlyList<PaymentChallenge> ParseAll(IEnumerable<string> headerValues)
    {
        var found = new List<PaymentChallenge>();
        foreach (var header in headerValues)
        {
            foreach (var (scheme, parameters) in AuthParameters.Challenges(header))
            {
                if (!scheme.Equals(Scheme, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                string? Get(string name) => parameters.TryGetValue(name, out var value) ? value : null;
                if (Get("id") is { Length: > 0 } id && Get("realm") is { } realm && Get("method") is { } method && Get("intent") is { } intent && Get("request") is { } request)
                {
                    found.Add(new PaymentChallenge(id, realm, method, intent, request, Get("expires"), Get("digest"), Get("description"), Get("opaque"), Get("header")));
                }
            }
        }

        return found;
    }
}
