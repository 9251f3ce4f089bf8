using System.Text.Json;
using SatsMotion.Client.Wallets;
using SatsMotion.Client.Wallets.Nostr;

namespace SatsMotion.Client;

/// <summary>
/// Where to send requests and how to pay: flags first, then SATSMOTION_* environment variables, then
/// config.json in the config directory (SATSMOTION_CONFIG_DIR, default ~/.config/satsmotion). Secrets are
/// read, never printed.
/// </summary>
public sealed record ClientSettings(string ConfigDirectory, string Server, string Wallet, string? LndHost, string? LndMacaroon, string? LndTlsCert, string? NwcUri)
{
    public static ClientSettings Resolve(string? server, string? wallet, Func<string, string?> environment)
    {
        var directory = environment("SATSMOTION_CONFIG_DIR")
            ?? Path.Combine(environment("XDG_CONFIG_HOME") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config"), "satsmotion");
        var file = Path.Combine(directory, "config.json");
        var config = File.Exists(file) ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(file)) ?? [] : [];
        string? Pick(string? flag, string variable, string key) => flag ?? environment(variable) ?? config.GetValueOrDefault(key);
        return new ClientSettings(
            directory,
            Pick(server, "SATSMOTION_SERVER", "server") ?? "http://127.0.0.1:5402",
            Pick(wallet, "SATSMOTION_WALLET", "wallet") ?? "dev",
            Pick(null, "SATSMOTION_LND_HOST", "lnd_host"),
            Pick(null, "SATSMOTION_LND_MACAROON", "lnd_macaroon"),
            Pick(null, "SATSMOTION_LND_TLSCERT", "lnd_tlscert"),
            Pick(null, "SATSMOTION_NWC", "nwc"));
    }

    public IWallet CreateWallet(HttpClient http) => Wallet switch
    {
        "dev" => new DevWallet(http, new Uri(Server)),
        "lnd" => new LndRestWallet(LndRestWallet.CreateHttpClient(LndTlsCert),
            new Uri(LndHost ?? throw new ClientException(ClientExit.Usage, "--wallet lnd needs SATSMOTION_LND_HOST (e.g. https://127.0.0.1:8080)")),
            MacaroonHex(LndMacaroon ?? throw new ClientException(ClientExit.Usage, "--wallet lnd needs SATSMOTION_LND_MACAROON (hex, or the path of admin.macaroon)"))),
        "nwc" => new NwcWallet(NwcUri ?? throw new ClientException(ClientExit.Usage, "--wallet nwc needs SATSMOTION_NWC (a nostr+walletconnect:// URI)")),
        var other when other.StartsWith("nostr+walletconnect://", StringComparison.OrdinalIgnoreCase) => new NwcWallet(other),
        var other => throw new ClientException(ClientExit.Usage, $"unknown wallet '{other}': use dev, lnd, nwc or a nostr+walletconnect:// URI"),
    };

    // The macaroon may be given as hex or as the path of LND's binary .macaroon file.
    private static string MacaroonHex(string value) => File.Exists(value) ? Convert.ToHexStringLower(File.ReadAllBytes(value)) : value;
}
