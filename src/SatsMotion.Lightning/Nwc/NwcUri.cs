namespace SatsMotion.Lightning.Nwc;

/// <summary>
/// A NIP-47 connection URI: nostr+walletconnect://&lt;wallet pubkey hex&gt;?relay=&lt;ws(s) url&gt;&amp;secret=&lt;hex&gt;.
/// The secret is the client's Nostr key for this one connection; of several relay parameters the first is used.
/// </summary>
public sealed record NwcUri(byte[] WalletPubKey, Uri Relay, byte[] Secret)
{
    public const string Scheme = "nostr+walletconnect://";

    public string WalletPubKeyHex => Convert.ToHexStringLower(WalletPubKey);

    /// <summary>Parses the URI; a <see cref="FormatException"/> says what is wrong without repeating the URI (it holds the secret).</summary>
    public static NwcUri Parse(string text)
    {
        if (!text.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException("the NWC URI must start with nostr+walletconnect://");
        }

        var rest = text[Scheme.Length..];
        var query = rest.IndexOf('?');
        var parameters = (query < 0 ? "" : rest[(query + 1)..]).Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToLookup(p => p[0], p => Uri.UnescapeDataString(p[1]));
        var pubkey = Hex32((query < 0 ? rest : rest[..query]).TrimEnd('/'));
        var secret = Hex32(parameters["secret"].FirstOrDefault());
        if (pubkey is not null && secret is not null && parameters["secret"].Count() == 1
            && Uri.TryCreate(parameters["relay"].FirstOrDefault(), UriKind.Absolute, out var relay) && relay.Scheme is "ws" or "wss")
        {
            return new NwcUri(pubkey, relay, secret);
        }

        throw new FormatException("the NWC URI needs a hex wallet pubkey, a relay and a hex secret");
    }

    private static byte[]? Hex32(string? text) => text is { Length: 64 } && text.All(char.IsAsciiHexDigit) ? Convert.FromHexString(text) : null;

    // Never print the secret, even by accident through a record's generated ToString.
    public override string ToString() => $"{Scheme}{WalletPubKeyHex}?relay={Relay}";
}
