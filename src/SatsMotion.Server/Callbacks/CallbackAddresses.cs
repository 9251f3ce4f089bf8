using System.Net;
using System.Net.Sockets;

namespace SatsMotion.Server.Callbacks;

/// <summary>
/// Which addresses a callback may reach: public unicast only. Loopback, private, link-local, CGNAT, multicast,
/// reserved, documentation and cloud-metadata ranges are refused, in IPv4 and IPv6. An IPv6 form that carries an
/// IPv4 address is judged by the address it carries when it is routed to that address across the Internet (mapped,
/// compatible, NAT64's well-known 64:ff9b::/96, 6to4 2002::/16), and refused whole when the embedding is only
/// meaningful inside someone's network: local-use NAT64 64:ff9b:1::/48 (RFC 8215, not globally reachable; its
/// translator may reach any private address), SIIT's IPv4-translated ::ffff:0:a.b.c.d (RFC 2765, never routed
/// publicly), and Teredo 2001::/32 (RFC 4380, inside the refused 2001::/23; its relay would decide where it goes).
/// An ISATAP interface id (…:5efe:a.b.c.d) is reached through its prefix's own network, so its prefix decides.
/// </summary>
public static class CallbackAddresses
{
    private static readonly IPNetwork[] ForbiddenV4 =
    [
        .. new[]
        {
            "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24",
            "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        }.Select(IPNetwork.Parse),
    ];

    private static readonly IPNetwork[] ForbiddenV6 =
    [
        .. new[]
        {
            "::/127", "::ffff:0:0:0/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "3fff::/20", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
        }.Select(IPNetwork.Parse),
    ];

    /// <summary>True when a callback must not connect to <paramref name="address"/>.</summary>
    public static bool IsForbidden(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return ForbiddenV4.Any(n => n.Contains(address));
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return true;
        }

        if (Embedded(address) is { } v4)
        {
            return IsForbidden(v4);
        }

        return ForbiddenV6.Any(n => n.Contains(address));
    }

    /// <summary>Loopback in either family (127/8, ::1, and their IPv6 forms).</summary>
    public static bool IsLoopback(IPAddress address) => IPAddress.IsLoopback(address) || (Embedded(address) is { } v4 && IPAddress.IsLoopback(v4));

    // The IPv4 address an IPv6 one stands for: ::ffff:a.b.c.d, ::a.b.c.d, 64:ff9b::a.b.c.d (NAT64), 2002:aabb:ccdd::/48 (6to4).
    private static IPAddress? Embedded(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return null;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        var bytes = address.GetAddressBytes();
        if (bytes.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0 && !(bytes[12] == 0 && bytes[13] == 0 && bytes[14] == 0 && bytes[15] <= 1))
        {
            return new IPAddress(bytes.AsSpan(12, 4)); // IPv4-compatible (deprecated, still routed by some stacks)
        }

        if (bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xff && bytes[3] == 0x9b && bytes.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0)
        {
            return new IPAddress(bytes.AsSpan(12, 4));
        }

        return bytes[0] == 0x20 && bytes[1] == 0x02 ? new IPAddress(bytes.AsSpan(2, 4)) : null;
    }
}
