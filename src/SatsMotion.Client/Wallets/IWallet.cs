using SatsMotion.Lightning.Bolt11;

namespace SatsMotion.Client.Wallets;

/// <summary>Pays Lightning invoices for the client. Implementations: the dev node of a local server, LND REST.</summary>
public interface IWallet
{
    string Name { get; }

    /// <summary>Pays and returns the preimage; never pays more than <paramref name="maxFeeSat"/> in routing fees.</summary>
    Task<byte[]> PayAsync(Bolt11Invoice invoice, long maxFeeSat, CancellationToken cancellationToken);

    /// <summary>The preimage of an earlier payment of this hash, if the wallet knows it settled (for resuming).</summary>
    Task<byte[]?> FindSettledAsync(Bolt11Invoice invoice, CancellationToken cancellationToken);
}

/// <summary>The wallet could not pay; the message says why.</summary>
public sealed class WalletException(string message) : Exception(message);
