namespace SatsMotion.L402.Tokens;

/// <summary>An <c>Authorization: L402 &lt;macaroon&gt;:&lt;preimage&gt;</c> credential, parsed but not yet verified.</summary>
public sealed record L402Credential(string Macaroon, byte[] Preimage)
{
    public string ToHeaderValue() => $"L402 {Macaroon}:{Convert.ToHexStringLower(Preimage)}";

    public static L402ParseResult Parse(string? authorization)
    {
        var failure = SplitScheme(authorization, out var token);
        if (failure is not null)
        {
            return failure;
        }

        var colon = token.LastIndexOf(':');
        if (colon <= 0)
        {
            return L402ParseResult.Fail(L402Failure.MalformedCredential, "token must be <macaroon>:<preimage>");
        }

        var macaroon = token[..colon];
        var preimageHex = token[(colon + 1)..];
        if (preimageHex.Length != 64 || !IsHex(preimageHex))
        {
            return L402ParseResult.Fail(L402Failure.MalformedPreimage, "preimage must be 64 hex characters");
        }

        return L402ParseResult.Ok(new L402Credential(macaroon, Convert.FromHexString(preimageHex)));
    }

    /// <summary>
    /// The macaroon of "L402 &lt;macaroon&gt;" (a ":preimage" suffix is ignored): enough for endpoints that only ask
    /// who holds a token, never enough to redeem it.
    /// </summary>
    public static bool TryReadMacaroon(string? authorization, out string macaroon)
    {
        macaroon = "";
        if (SplitScheme(authorization, out var token) is not null)
        {
            return false;
        }

        var colon = token.IndexOf(':');
        macaroon = colon < 0 ? token : token[..colon];
        return macaroon.Length > 0;
    }

    // "<L402|LSAT, any case> <token>": the token, or why the header is not an L402 credential.
    private static L402ParseResult? SplitScheme(string? authorization, out string token)
    {
        token = "";
        if (string.IsNullOrWhiteSpace(authorization))
        {
            return L402ParseResult.Fail(L402Failure.MissingCredential, "no Authorization header");
        }

        var text = authorization.Trim();
        var space = text.IndexOf(' ');
        if (space <= 0)
        {
            return L402ParseResult.Fail(L402Failure.MalformedCredential, "Authorization header has no scheme and token");
        }

        var scheme = text[..space];
        if (!scheme.Equals("L402", StringComparison.OrdinalIgnoreCase) && !scheme.Equals("LSAT", StringComparison.OrdinalIgnoreCase))
        {
            return L402ParseResult.Fail(L402Failure.UnsupportedScheme, $"scheme '{scheme}' is not L402 or LSAT");
        }

        token = text[(space + 1)..].Trim();
        return null;
    }

    private static bool IsHex(string text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}

public sealed record L402ParseResult(L402Credential? Credential, L402Failure Failure, string? Reason)
{
    public bool Success => Credential is not null;

    public static L402ParseResult Ok(L402Credential credential) => new(credential, L402Failure.None, null);

    public static L402ParseResult Fail(L402Failure failure, string reason) => new(null, failure, reason);
}
