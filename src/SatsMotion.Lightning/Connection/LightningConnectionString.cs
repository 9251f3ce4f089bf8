namespace SatsMotion.Lightning.Connection;

/// <summary>The Lightning setting is wrong; the message names the key and never holds a secret.</summary>
public sealed class LightningConfigurationException(string message) : Exception(message);

/// <summary>
/// A backend's connection string in the convention BTCPay Server operators know: <c>type=lnd-rest;server=…;macaroon=…</c>,
/// keys case-insensitive, separated by ';'. A bare <c>nostr+walletconnect://</c> URI stands for <c>type=nwc;uri=…</c>.
/// Each backend takes the keys it knows; any key left over is an error, so a typo never passes silently.
/// </summary>
public sealed class LightningConnectionString
{
    private const string Setting = "SatsMotion:Lightning";
    private readonly Dictionary<string, string> _values;
    private readonly HashSet<string> _taken = new(StringComparer.OrdinalIgnoreCase) { "type" };

    private LightningConnectionString(string type, Dictionary<string, string> values)
    {
        Type = type;
        _values = values;
    }

    /// <summary>The backend type, lower case (e.g. "lnd-rest").</summary>
    public string Type { get; }

    public static LightningConnectionString Parse(string text)
    {
        text = text.Trim();
        if (text.StartsWith("nostr+walletconnect://", StringComparison.OrdinalIgnoreCase))
        {
            return new("nwc", new(StringComparer.OrdinalIgnoreCase) { ["type"] = "nwc", ["uri"] = text });
        }

        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var parts = text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            var equals = part.IndexOf('=');
            if (equals <= 0)
            {
                // Not echoed: a malformed part may be a secret pasted without its key.
                throw new LightningConfigurationException($"{Setting}: part {i + 1} is not a key=value pair");
            }

            var key = part[..equals].Trim();
            if (!values.TryAdd(key, part[(equals + 1)..].Trim()))
            {
                throw new LightningConfigurationException($"{Setting}: key '{key}' is given twice");
            }
        }

        if (!values.TryGetValue("type", out var type) || type.Length == 0)
        {
            throw new LightningConfigurationException($"{Setting}: missing key 'type' (dev, lnd-rest, clnrest, phoenixd, lnbits or nwc)");
        }

        return new(type.ToLowerInvariant(), values);
    }

    public string Required(string key) =>
        Optional(key) ?? throw new LightningConfigurationException($"{Setting}: type={Type} needs the key '{key}'");

    public string? Optional(string key)
    {
        _taken.Add(key);
        return _values.TryGetValue(key, out var value) && value.Length > 0 ? value : null;
    }

    /// <summary>An absolute http(s) URL under <paramref name="key"/>.</summary>
    public Uri RequiredUrl(string key)
    {
        var text = Required(key);
        return Uri.TryCreate(text.EndsWith('/') ? text : text + "/", UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
            ? url
            : throw new LightningConfigurationException($"{Setting}: key '{key}' must be an http:// or https:// URL");
    }

    public bool Flag(string key, bool whenAbsent = false)
    {
        var text = Optional(key);
        return text is null ? whenAbsent : bool.TryParse(text, out var flag) ? flag
            : throw new LightningConfigurationException($"{Setting}: key '{key}' must be true or false");
    }

    /// <summary>The contents of the file named by <paramref name="key"/>; an unreadable file stops the start.</summary>
    public byte[]? OptionalFile(string key)
    {
        var path = Optional(key);
        try
        {
            return path is null ? null : File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new LightningConfigurationException($"{Setting}: key '{key}': cannot read {path}: {e.Message}");
        }
    }

    /// <summary>Call once the backend has read its keys: anything it did not take is a typo or a key of another type.</summary>
    public void EnsureNoUnknownKeys()
    {
        var unknown = _values.Keys.Where(k => !_taken.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new LightningConfigurationException($"{Setting}: unknown key{(unknown.Count > 1 ? "s" : "")} '{string.Join("', '", unknown)}' for type={Type}");
        }
    }
}
