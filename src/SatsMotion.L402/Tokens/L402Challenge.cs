using System.Text.RegularExpressions;

namespace SatsMotion.L402.Tokens;

/// <summary>The <c>WWW-Authenticate</c> challenge: a macaroon to hold and an invoice to pay.</summary>
public sealed partial record L402Challenge(string Macaroon, string Invoice)
{
    /// <summary>Exactly <c>L402 macaroon="…", invoice="…"</c>, the form every L402 client parses.</summary>
    public string ToHeaderValue() => $"L402 macaroon=\"{Macaroon}\", invoice=\"{Invoice}\"";

    /// <summary>The same challenge under the pre-2023 LSAT name, for old clients.</summary>
    public string ToLegacyHeaderValue() => $"LSAT macaroon=\"{Macaroon}\", invoice=\"{Invoice}\"";

    /// <summary>Reads an L402 or LSAT challenge; parameters in any order, quoted or not.</summary>
    public static bool TryParse(string? header, out L402Challenge? challenge, out string? error)
    {
        challenge = null;
        if (string.IsNullOrWhiteSpace(header))
        {
            error = "empty challenge";
            return false;
        }

        var match = SchemePattern().Match(header);
        if (!match.Success)
        {
            error = "challenge scheme is neither L402 nor LSAT";
            return false;
        }

        string? macaroon = null;
        string? invoice = null;
        foreach (Match parameter in ParameterPattern().Matches(header, match.Length))
        {
            var name = parameter.Groups["name"].Value.ToLowerInvariant();
            var value = parameter.Groups["quoted"].Success ? parameter.Groups["quoted"].Value : parameter.Groups["bare"].Value;
            if (name == "macaroon")
            {
                macaroon ??= value;
            }
            else if (name == "invoice")
            {
                invoice ??= value;
            }
        }

        if (string.IsNullOrEmpty(macaroon))
        {
            error = "challenge has no macaroon";
            return false;
        }

        if (string.IsNullOrEmpty(invoice))
        {
            error = "challenge has no invoice";
            return false;
        }

        challenge = new L402Challenge(macaroon, invoice);
        error = null;
        return true;
    }

    [GeneratedRegex(@"^\s*(L402|LSAT)\s+", RegexOptions.IgnoreCase)]
    private static partial Regex SchemePattern();

    [GeneratedRegex(@"(?<name>[A-Za-z]+)\s*=\s*(?:""(?<quoted>[^""]*)""|(?<bare>[^\s,""]+))")]
    private static partial Regex ParameterPattern();
}
