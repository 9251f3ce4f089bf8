using System.Net;

namespace SatsMotion.Server.Callbacks;

/// <summary>
/// A caller's callback_url as the request reader checks it, before any invoice: an absolute https URL on a public
/// host (an address literal must be public; a name is checked again, after resolution, when connecting) and port
/// (443 or an unprivileged one), without credentials or fragment. With AllowLoopback, http and https on
/// 127.0.0.1, [::1] and localhost are also taken, on any port.
/// </summary>
public static class CallbackTarget
{
    public const int MaxLength = 2048;

    /// <summary>The URL to keep, or why it is refused (a message for the caller, naming the rule).</summary>
    public static (Uri? Url, string? Problem) Check(string text, bool allowLoopback)
    {
        if (text.Length > MaxLength)
        {
            return (null, $"callback_url is longer than {MaxLength} characters");
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.IsFile || url.IsUnc)
        {
            return (null, "callback_url must be an absolute https:// URL");
        }

        if (url.UserInfo.Length > 0 || url.Fragment.Length > 0)
        {
            return (null, "callback_url must not carry credentials or a #fragment");
        }

        var loopback = IsLoopbackName(url);
        if (loopback && allowLoopback && url.Scheme is "http" or "https")
        {
            return (url, null);
        }

        if (url.Scheme != Uri.UriSchemeHttps)
        {
            return (null, "callback_url must use https://");
        }

        if (loopback || url.HostNameType == UriHostNameType.Basic || !url.Host.Contains('.', StringComparison.Ordinal) && url.HostNameType == UriHostNameType.Dns
            || url.Host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase) || url.Host.EndsWith(".local", StringComparison.OrdinalIgnoreCase)
            || url.Host.EndsWith(".internal", StringComparison.OrdinalIgnoreCase))
        {
            return (null, $"callback_url's host '{url.Host}' is not a public host");
        }

        if (url.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 && CallbackAddresses.IsForbidden(IPAddress.Parse(url.IdnHost.Trim('[', ']'))))
        {
            return (null, $"callback_url's address {url.Host} is not public (loopback, private, link-local, shared or reserved)");
        }

        if (url.Port != 443 && url.Port < 1024)
        {
            return (null, $"callback_url's port {url.Port} is not allowed: use 443 or a port from 1024 up");
        }

        return (url, null);
    }

    /// <summary>The three loopback hosts AllowLoopback opens: 127.0.0.1, [::1] and localhost.</summary>
    public static bool IsLoopbackName(Uri url) => IsLoopbackHost(url.Host);

    public static bool IsLoopbackHost(string host) => host.ToLowerInvariant() is "localhost" or "127.0.0.1" or "[::1]" or "::1";
}
