using Microsoft.Extensions.Options;
using SatsMotion.Lightning;
using SatsMotion.Lightning.Bolt11;
using SatsMotion.Server.Configuration;

namespace SatsMotion.Server;

/// <summary>
/// Before serving, a real backend must answer its getinfo call with our credential, be synced, be on the network
/// the operator named, and (on mainnet) not hand out links over plain HTTP to the world. Each problem is one line.
/// </summary>
public sealed class LightningSelfCheck(ILightningBackend lightning, IOptions<SatsMotionOptions> options, LightningExpectations? expectations = null,
    ILogger<LightningSelfCheck>? log = null)
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>What the node said at start-up (null for the dev node or before the check).</summary>
    public NodeInfo? Info { get; private set; }

    /// <summary>Null when the backend may serve; otherwise the one line that says why not.</summary>
    public async Task<string?> RunAsync(CancellationToken cancellationToken)
    {
        if (lightning.IsDevelopment)
        {
            return null;
        }

        if (options.Value.RefundMaxFeeSats is { } maxFee && !lightning.EnforcesFeeLimit)
        {
            // A setting the backend cannot honour must not look like a bound on what refunds cost.
            log?.LogWarning("RefundMaxFeeSats ({MaxFee} sat) is not enforced by {Backend}: the wallet pays refunds within its own fee policy and budget", maxFee, lightning.Name);
        }

        NodeInfo info;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Timeout);
            info = await lightning.GetInfoAsync(timeout.Token);
        }
        catch (LightningBackendException e)
        {
            return e.Failure switch
            {
                LightningFailure.Unavailable => $"Lightning backend unreachable: {e.Message}",
                LightningFailure.Refused => $"Lightning backend refused the credential: {e.Message}",
                _ => $"Lightning backend failed its self-check: {e.Message}",
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"Lightning backend unreachable: {lightning.Name} did not answer within {Timeout.TotalSeconds:F0} s";
        }

        if (expectations?.Network is { } expected && expected != info.Network)
        {
            return $"Lightning backend is on {Name(info.Network)}, but the setting says network={Name(expected)}";
        }

        if (!info.Synced)
        {
            return $"Lightning backend is not synced to the chain yet ({info.Description}); start again once it is";
        }

        var publicUrl = options.Value.PublicBaseUrl;
        if (info.Network == Bolt11Network.Mainnet && Uri.TryCreate(publicUrl, UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttp && !url.IsLoopback)
        {
            return $"refusing mainnet over plain HTTP: PublicBaseUrl {publicUrl} must be https:// (or loopback) when real money moves";
        }

        Info = info;
        return null;
    }

    public static string Name(Bolt11Network network) => network.ToString().ToLowerInvariant();
}
