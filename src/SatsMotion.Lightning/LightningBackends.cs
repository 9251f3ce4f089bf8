using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SatsMotion.Lightning.Bolt11;
using SatsMotion.Lightning.Cln;
using SatsMotion.Lightning.Connection;
using SatsMotion.Lightning.LNbits;
using SatsMotion.Lightning.Lnd;
using SatsMotion.Lightning.Nwc;
using SatsMotion.Lightning.Phoenixd;

namespace SatsMotion.Lightning;

/// <summary>
/// Turns the operator's Lightning setting into the registered <see cref="ILightningBackend"/>: one line per backend
/// type, each backend reading its own keys. Every real backend is wrapped in <see cref="CheckedLightningBackend"/>.
/// </summary>
public static class LightningBackends
{
    /// <summary>
    /// Registers the backend the connection string names. Returns false for "dev" (the embedded node, which the
    /// host registers itself). Throws <see cref="LightningConfigurationException"/> naming the key that is wrong.
    /// </summary>
    public static bool AddLightningBackend(this IServiceCollection services, string setting)
    {
        if (setting.Trim().Equals("dev", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var connection = LightningConnectionString.Parse(setting);
        Func<IServiceProvider, ILightningBackend> create = connection.Type switch
        {
            "lnd-rest" or "lnd" => LndRestBackend.Register(services, connection),
            "clnrest" or "cln" => ClnRestBackend.Register(services, connection),
            "phoenixd" => PhoenixdBackend.Register(services, connection),
            "lnbits" => LnbitsBackend.Register(services, connection),
            "nwc" => NwcBackend.Register(services, connection),
            "dev" => throw new LightningConfigurationException("SatsMotion:Lightning: the dev node takes no keys; write just 'dev'"),
            var other => throw new LightningConfigurationException($"SatsMotion:Lightning: unknown type '{other}' (dev, lnd-rest, clnrest, phoenixd, lnbits or nwc)"),
        };
        var expected = ExpectedNetwork(connection);
        connection.EnsureNoUnknownKeys();
        services.AddSingleton(new LightningExpectations(expected));
        services.AddSingleton<ILightningBackend>(sp => new CheckedLightningBackend(
            create(sp), sp.GetService<TimeProvider>() ?? TimeProvider.System, sp.GetRequiredService<ILogger<CheckedLightningBackend>>()));
        return true;
    }

    // network=mainnet|testnet|signet|regtest: the chain the operator means to be on, checked at start-up.
    private static Bolt11Network? ExpectedNetwork(LightningConnectionString connection) => connection.Optional("network") switch
    {
        null => null,
        var text when NodeNetworks.TryParse(text, out var network) => network,
        _ => throw new LightningConfigurationException("SatsMotion:Lightning: key 'network' must be mainnet, testnet, signet or regtest"),
    };
}

/// <summary>What the operator said the node must be (key <c>network=</c>), for the start-up self-check.</summary>
public sealed record LightningExpectations(Bolt11Network? Network);

/// <summary>The network names nodes report ("bitcoin"/"mainnet", "testnet", "testnet3", "signet", "regtest").</summary>
public static class NodeNetworks
{
    public static bool TryParse(string? name, out Bolt11Network network)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case "mainnet" or "bitcoin" or "main":
                network = Bolt11Network.Mainnet;
                return true;
            case "testnet" or "testnet3" or "testnet4" or "test":
                network = Bolt11Network.Testnet;
                return true;
            case "signet":
                network = Bolt11Network.Signet;
                return true;
            case "regtest":
                network = Bolt11Network.Regtest;
                return true;
            default:
                network = default;
                return false;
        }
    }
}
