using System.Net;
using System.Net.Sockets;

namespace SatsMotion.Server.Callbacks;

/// <summary>Names to addresses (DNS in production; a stub in tests, which must never reach a private range).</summary>
public interface IHostResolver
{
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);
}

public sealed class DnsHostResolver : IHostResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) => Dns.GetHostAddressesAsync(host, cancellationToken);
}

/// <summary>A callback whose host resolves to no address it may reach; nothing was sent.</summary>
public sealed class CallbackRefusedException(string message) : Exception(message);

/// <summary>
/// The HTTP client of webhook deliveries. The address is checked when connecting, after resolution, and the socket
/// connects to the checked address itself, so a name that resolves to a public address for the request check and
/// to a private one later (DNS rebinding) still cannot reach inside. No redirects, no proxy, no cookies; the
/// timeout is the caller's.
/// </summary>
public static class CallbackConnections
{
    public static HttpClient Create(IHostResolver resolver, bool allowLoopback, TimeSpan connectTimeout)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            ConnectTimeout = connectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            MaxResponseHeadersLength = 16,
            ConnectCallback = (context, cancellationToken) => ConnectAsync(resolver, allowLoopback, context.DnsEndPoint, cancellationToken),
        };
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan, MaxResponseContentBufferSize = 64 * 1024 };
    }

    /// <summary>The addresses of <paramref name="host"/> a callback may connect to, or why there are none.</summary>
    public static async Task<IPAddress[]> AllowedAddressesAsync(IHostResolver resolver, bool allowLoopback, string host, CancellationToken cancellationToken)
    {
        var bare = host.Trim('[', ']');
        var addresses = IPAddress.TryParse(bare, out var literal) ? [literal] : await resolver.ResolveAsync(bare, cancellationToken);
        var loopbackName = allowLoopback && CallbackTarget.IsLoopbackHost(host);
        var allowed = addresses.Where(a => loopbackName ? CallbackAddresses.IsLoopback(a) : !CallbackAddresses.IsForbidden(a)).ToArray();
        return allowed.Length > 0 ? allowed
            : throw new CallbackRefusedException(addresses.Length == 0 ? $"'{host}' does not resolve" : $"'{host}' resolves only to addresses a callback may not reach ({string.Join(", ", addresses.Take(4))})");
    }

    private static async ValueTask<Stream> ConnectAsync(IHostResolver resolver, bool allowLoopback, DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        Exception? last = null;
        foreach (var address in await AllowedAddressesAsync(resolver, allowLoopback, endpoint.Host, cancellationToken))
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
        }

        throw last!;
    }
}
