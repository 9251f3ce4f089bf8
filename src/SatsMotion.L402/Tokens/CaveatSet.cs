using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SatsMotion.L402.Macaroons;

namespace SatsMotion.L402.Tokens;

/// <summary>
/// The effective restrictions of a macaroon's caveats. A later caveat with the same condition may only
/// narrow the earlier one; anything unknown or widening makes the whole set invalid (fail closed).
/// </summary>
internal sealed class CaveatSet
{
    public HashSet<string>? Services { get; private set; }

    public Dictionary<string, DateTimeOffset> ValidUntil { get; } = new(StringComparer.Ordinal);

    public byte[]? RequestHash { get; private set; }

    public string? Error { get; private set; }

    public static CaveatSet Read(IReadOnlyList<MacaroonCaveat> caveats, byte[] preimage)
    {
        var set = new CaveatSet();
        byte[]? preimageCaveat = null;
        foreach (var raw in caveats)
        {
            if (!raw.IsFirstParty)
            {
                return set.Failed("third-party caveats are not supported");
            }

            var text = Encoding.UTF8.GetString(raw.Identifier);
            if (!L402Caveat.TryParse(text, out var caveat))
            {
                return set.Failed($"caveat '{text}' is not condition=value");
            }

            var error = caveat!.Condition switch
            {
                L402Caveat.Services => set.NarrowServices(caveat.Value),
                L402Caveat.RequestHash => set.NarrowRequestHash(caveat.Value),
                L402Caveat.Preimage => CheckPreimage(caveat.Value, preimage, ref preimageCaveat),
                var c when c.EndsWith(L402Caveat.ValidUntilSuffix, StringComparison.Ordinal) && c.Length > L402Caveat.ValidUntilSuffix.Length
                    => set.NarrowValidUntil(c[..^L402Caveat.ValidUntilSuffix.Length], caveat.Value),
                _ => $"unknown caveat condition '{caveat.Condition}'",
            };
            if (error is not null)
            {
                return set.Failed(error);
            }
        }

        return set;
    }

    private CaveatSet Failed(string error)
    {
        Error = error;
        return this;
    }

    private string? NarrowServices(string value)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var range in value.AsSpan().Split(','))
        {
            var entry = value.AsSpan()[range].Trim();
            var colon = entry.IndexOf(':');
            var name = colon < 0 ? entry : entry[..colon];
            if (name.IsEmpty)
            {
                return $"services caveat '{value}' is malformed";
            }

            names.Add(name.ToString());
        }

        if (Services is not null && !names.IsSubsetOf(Services))
        {
            return "a later services caveat widens the earlier one";
        }

        Services = names;
        return null;
    }

    private string? NarrowValidUntil(string service, string value)
    {
        if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > 253402300799)
        {
            return $"{service}{L402Caveat.ValidUntilSuffix} '{value}' is not a unix time";
        }

        var until = DateTimeOffset.FromUnixTimeSeconds(seconds);
        if (ValidUntil.TryGetValue(service, out var earlier) && until > earlier)
        {
            return $"a later {service}{L402Caveat.ValidUntilSuffix} caveat extends the earlier one";
        }

        ValidUntil[service] = until;
        return null;
    }

    private string? NarrowRequestHash(string value)
    {
        if (!TryDecodeHash(value, out var hash))
        {
            return "request_hash caveat is not 64 hex characters";
        }

        if (RequestHash is not null && !RequestHash.AsSpan().SequenceEqual(hash))
        {
            return "two request_hash caveats disagree";
        }

        RequestHash = hash;
        return null;
    }

    // Clients may pin the preimage into the macaroon; it must be the one presented.
    private static string? CheckPreimage(string value, byte[] preimage, ref byte[]? earlier)
    {
        if (!TryDecodeHash(value, out var pinned))
        {
            return "preimage caveat is not 64 hex characters";
        }

        if (!CryptographicOperations.FixedTimeEquals(pinned, preimage) || (earlier is not null && !earlier.AsSpan().SequenceEqual(pinned)))
        {
            return "preimage caveat does not match the presented preimage";
        }

        earlier = pinned;
        return null;
    }

    private static bool TryDecodeHash(string hex, out byte[] bytes)
    {
        bytes = new byte[32];
        return hex.Length == 64 && Convert.FromHexString(hex, bytes, out _, out var written) == System.Buffers.OperationStatus.Done && written == 32;
    }
}
