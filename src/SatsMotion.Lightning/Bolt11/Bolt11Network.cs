namespace SatsMotion.Lightning.Bolt11;

/// <summary>The network part of the human-readable prefix: lnbc, lntb, lntbs, lnbcrt.</summary>
public enum Bolt11Network
{
    Mainnet,
    Testnet,
    Signet,
    Regtest,
}

public static class Bolt11NetworkPrefix
{
    public static string Of(Bolt11Network network) => network switch
    {
        Bolt11Network.Mainnet => "bc",
        Bolt11Network.Testnet => "tb",
        Bolt11Network.Signet => "tbs",
        Bolt11Network.Regtest => "bcrt",
        _ => throw new ArgumentOutOfRangeException(nameof(network)),
    };

    // Longest prefixes first: "bcrt" must not be read as "bc" followed by an amount.
    public static bool TryRead(string afterLn, out Bolt11Network network, out int length)
    {
        foreach (var (prefix, net) in new[] { ("bcrt", Bolt11Network.Regtest), ("tbs", Bolt11Network.Signet), ("bc", Bolt11Network.Mainnet), ("tb", Bolt11Network.Testnet) })
        {
            if (afterLn.StartsWith(prefix, StringComparison.Ordinal))
            {
                network = net;
                length = prefix.Length;
                return true;
            }
        }

        network = default;
        length = 0;
        return false;
    }
}
