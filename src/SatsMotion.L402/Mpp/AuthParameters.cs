using System.Text;

namespace SatsMotion.L402.Mpp;

/// <summary>
/// Reads challenges of a WWW-Authenticate field (RFC 9110 section 11.6.1): a scheme, then auth-params name=value
/// (token or quoted-string, with quoted-pairs), challenges and params separated by commas.
/// </summary>
public static class AuthParameters
{
    public static IEnumerable<(string Scheme, Dictionary<string, string> Parameters)> Challenges(string header)
    {
        var position = 0;
        string? scheme = null;
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (true)
        {
            SkipSeparators(header, ref position);
            if (position >= header.Length)
            {
                break;
            }

            var token = Token(header, ref position);
            if (token.Length == 0)
            {
                position++; // not a token character: skip it
                continue;
            }

            var afterToken = position;
            SkipSpaces(header, ref position);
            if (position < header.Length && header[position] == '=' && scheme is not null && !IsToken68End(header, position))
            {
                position++;
                SkipSpaces(header, ref position);
                var value = position < header.Length && header[position] == '"' ? Quoted(header, ref position) : Token(header, ref position);
                parameters.TryAdd(token, value);
                continue;
            }

            // A token not followed by "=" starts the next challenge.
            position = afterToken;
            if (scheme is not null)
            {
                yield return (scheme, parameters);
            }

            scheme = token;
            parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        }

        if (scheme is not null)
        {
            yield return (scheme, parameters);
        }
    }

    // A token68 ending in "=" padding ("abc==") is not a parameter.
    private static bool IsToken68End(string header, int equals) => equals + 1 < header.Length && header[equals + 1] == '=';

    private static void SkipSeparators(string header, ref int position)
    {
        while (position < header.Length && header[position] is ' ' or '\t' or ',')
        {
            position++;
        }
    }

    private static void SkipSpaces(string header, ref int position)
    {
        while (position < header.Length && header[position] is ' ' or '\t')
        {
            position++;
        }
    }

    private static string Token(string header, ref int position)
    {
        var start = position;
        while (position < header.Length && header[position] is not (' ' or '\t' or ',' or '=' or '"'))
        {
            position++;
        }

        return header[start..position];
    }

    private static string Quoted(string header, ref int position)
    {
        var value = new StringBuilder();
        position++; // the opening quote
        while (position < header.Length && header[position] != '"')
        {
            if (header[position] == '\\' && position + 1 < header.Length)
            {
                position++;
            }

            value.Append(header[position++]);
        }

        position++; // the closing quote
        return value.ToString();
    }
}
