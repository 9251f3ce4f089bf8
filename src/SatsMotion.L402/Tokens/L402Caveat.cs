namespace SatsMotion.L402.Tokens;

/// <summary>A first-party caveat of the form <c>condition=value</c>.</summary>
public sealed record L402Caveat(string Condition, string Value)
{
    public const string Services = "services";
    public const string RequestHash = "request_hash";
    public const string Preimage = "preimage";
    public const string ValidUntilSuffix = "_valid_until";

    public static string ValidUntil(string service) => service + ValidUntilSuffix;

    public override string ToString() => $"{Condition}={Value}";

    public static bool TryParse(string text, out L402Caveat? caveat)
    {
        var equals = text.IndexOf('=');
        if (equals <= 0)
        {
            caveat = null;
            return false;
        }

        caveat = new L402Caveat(text[..equals].Trim(), text[(equals + 1)..].Trim());
        return true;
    }
}
