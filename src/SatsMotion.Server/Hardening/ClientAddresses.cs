using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using SatsMotion.Server.Configuration;

namespace SatsMotion.Server.Hardening;

/// <summary>
/// Whose address a request is: the connection's, unless it comes from a proxy the operator listed in
/// SatsMotion:TrustedProxies (addresses or CIDR networks), whose X-Forwarded-For / X-Forwarded-Proto then count.
/// Anyone else's forwarded headers are ignored, so a caller cannot pick the address its limits are counted on.
/// </summary>
public static class ClientAddresses
{
    public static void AddTrustedProxies(this IServiceCollection services, IReadOnlyList<string> trusted)
    {
        var networks = trusted.Select(Parse).ToList();
        services.Configure<ForwardedHeadersOptions>(options =>
        {
            // With no proxy listed the middleware would trust every sender, so then it reads nothing at all.
            options.ForwardedHeaders = networks.Count == 0 ? ForwardedHeaders.None : ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // The defaults trust loopback; only what the operator lists is trusted here.
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
#pragma warning disable ASPDEPR005 // the obsolete list is still consulted, so it must be emptied too
            options.KnownNetworks.Clear();
#pragma warning restore ASPDEPR005
            foreach (var network in networks)
            {
                options.KnownIPNetworks.Add(network);
            }

            // Behind a chain of trusted proxies, the first untrusted address from the right is the client.
            options.ForwardLimit = null;
        });
    }

    private static System.Net.IPNetwork Parse(string text)
    {
        var value = text.Trim();
        if (System.Net.IPNetwork.TryParse(value, out var network))
        {
            return network;
        }

        return IPAddress.TryParse(value, out var address)
            ? new System.Net.IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)
            : throw new SettingsException($"SatsMotion:TrustedProxies: '{value}' is not an IP address or a CIDR network");
    }
}
