using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SatsMotion.L402.Mpp;

/// <summary>
/// The JSON Canonicalization Scheme (RFC 8785): members sorted by their names' UTF-16 code units, no whitespace,
/// strings escaped only where JSON must, numbers as ECMAScript renders them. A Payment challenge's request is this
/// text in base64url, and clients that re-serialise it (mppx) must arrive at the same bytes.
/// </summary>
public static class Jcs
{
    public static string Canonicalize(JsonNode? node)
    {
        var text = new StringBuilder();
        Write(text, node);
        return text.ToString();
    }

    /// <summary>Canonicalises JSON text; false for text that is not JSON.</summary>
    public static bool TryCanonicalize(string json, out string? canonical)
    {
        try
        {
            canonical = Canonicalize(JsonNode.Parse(json));
            return true;
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            canonical = null;
            return false;
        }
    }

    private static void Write(StringBuilder text, JsonNode? node)
    {
        switch (node)
        {
            case null:
                text.Append("null");
                break;
            case JsonObject obj:
                text.Append('{');
                var first = true;
                foreach (var (name, member) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    text.Append(first ? "" : ",");
                    first = false;
                    Quote(text, name);
                    text.Append(':');
                    Write(text, member);
                }

                text.Append('}');
                break;
            case JsonArray array:
                text.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    text.Append(i == 0 ? "" : ",");
                    Write(text, array[i]);
                }

                text.Append(']');
                break;
            default:
                var value = (JsonValue)node;
                switch (value.GetValueKind())
                {
                    case JsonValueKind.String:
                        Quote(text, value.GetValue<string>());
                        break;
                    case JsonValueKind.Number:
                        text.Append(Number(value.GetValue<double>()));
                        break;
                    case JsonValueKind.True:
                        text.Append("true");
                        break;
                    case JsonValueKind.False:
                        text.Append("false");
                        break;
                    default:
                        text.Append("null");
                        break;
                }

                break;
        }
    }

    private static void Quote(StringBuilder text, string value)
    {
        text.Append('"');
        foreach (var c in value)
        {
            _ = c switch
            {
                '"' => text.Append("\\\""),
                '\\' => text.Append("\\\\"),
                '\b' => text.Append("\\b"),
                '\f' => text.Append("\\f"),
                '\n' => text.Append("\\n"),
                '\r' => text.Append("\\r"),
                '\t' => text.Append("\\t"),
                < ' ' => text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                _ => text.Append(c),
            };
        }

        text.Append('"');
    }

    // ECMAScript's Number::toString: the shortest digits that round-trip, positional while the decimal exponent is in
    // (-6, 21], else d.ddde±n.
    private static string Number(double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            throw new ArgumentException("JSON has no NaN or infinity");
        }

        if (value == 0)
        {
            return "0";
        }

        var (digits, exponent) = Digits(Math.Abs(value).ToString("R", CultureInfo.InvariantCulture));
        var n = exponent; // the value is 0.d1d2…dk × 10^n
        var k = digits.Length;
        var sign = value < 0 ? "-" : "";
        if (k <= n && n <= 21)
        {
            return sign + digits + new string('0', n - k);
        }

        if (0 < n && n <= 21)
        {
            return sign + digits[..n] + "." + digits[n..];
        }

        if (-6 < n && n <= 0)
        {
            return sign + "0." + new string('0', -n) + digits;
        }

        var e = n - 1;
        return sign + digits[..1] + (k > 1 ? "." + digits[1..] : "") + "e" + (e >= 0 ? "+" : "-") + Math.Abs(e).ToString(CultureInfo.InvariantCulture);
    }

    // "1.2345E+21" or "0.000123" or "123.45" → the significant digits and n with value = 0.digits × 10^n.
    private static (string Digits, int Exponent) Digits(string roundTrip)
    {
        var e = roundTrip.IndexOfAny(['E', 'e']);
        var mantissa = e < 0 ? roundTrip : roundTrip[..e];
        var power = e < 0 ? 0 : int.Parse(roundTrip[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var point = mantissa.IndexOf('.');
        var whole = point < 0 ? mantissa : mantissa[..point];
        var fraction = point < 0 ? "" : mantissa[(point + 1)..];
        var all = whole + fraction;
        var leading = all.Length - all.TrimStart('0').Length;
        var digits = all.Trim('0');
        return (digits, whole.Length - leading + power);
    }
}
