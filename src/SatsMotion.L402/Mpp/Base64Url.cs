namespace SatsMotion.L402.Mpp;

/// <summary>
/// base64url as the Payment scheme uses it: written without padding; read strictly, so that one value has one
/// spelling (padding accepted only where it belongs, no other alphabet, no line breaks, no non-zero trailing bits).
/// </summary>
public static class Base64Url
{
    public static string Encode(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static bool TryDecode(string text, out byte[] bytes)
    {
        bytes = [];
        var body = text;
        if (text.EndsWith('='))
        {
            // Padding only to a multiple of four, and at most two.
            var padding = text.Length - text.TrimEnd('=').Length;
            if (text.Length % 4 != 0 || padding > 2)
            {
                return false;
            }

            body = text[..^padding];
        }

        if (body.Length % 4 == 1 || body.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            return false;
        }

        var standard = body.Replace('-', '+').Replace('_', '/');
        standard += new string('=', (4 - (standard.Length % 4)) % 4);
        try
        {
            bytes = Convert.FromBase64String(standard);
        }
        catch (FormatException)
        {
            return false;
        }

        // The last character may carry bits beyond the data: they must be zero, or "AB" would read as "AA".
        return Encode(bytes) == body;
    }
}
