using SatsMotion.Server.Configuration;

namespace SatsMotion.Server.Api;

public enum PaymentScheme
{
    L402,

    /// <summary>The Payment HTTP authentication scheme (IETF draft-httpauth-payment), Lightning "charge" intent.</summary>
    Mpp,
}

/// <summary>The schemes a 402 offers, in the operator's order (SatsMotion:PaymentSchemes).</summary>
public static class PaymentSchemes
{
    /// <summary>Reads "l402,mpp", "mpp,l402", "l402" or "mpp"; anything else stops the start naming the setting.</summary>
    public static IReadOnlyList<PaymentScheme> Parse(string? setting)
    {
        var names = (setting ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var schemes = new List<PaymentScheme>();
        foreach (var name in names)
        {
            var scheme = name.ToLowerInvariant() switch
            {
                "l402" => PaymentScheme.L402,
                "mpp" or "payment" => PaymentScheme.Mpp,
                _ => throw new SettingsException($"{SatsMotionOptions.Section}:PaymentSchemes: '{name}' is not a scheme (l402, mpp, or both in the order the 402 offers them)"),
            };
            if (schemes.Contains(scheme))
            {
                throw new SettingsException($"{SatsMotionOptions.Section}:PaymentSchemes names '{name}' twice");
            }

            schemes.Add(scheme);
        }

        return schemes.Count > 0 ? schemes : throw new SettingsException($"{SatsMotionOptions.Section}:PaymentSchemes is empty: name l402, mpp or both");
    }

    /// <summary>The realm of Payment challenges: the setting, else the public host, else "satsmotion" (plain ASCII: clients echo it).</summary>
    public static string Realm(SatsMotionOptions options) =>
        options.MppRealm is { Length: > 0 } realm ? realm
        : Uri.TryCreate(options.PublicBaseUrl, UriKind.Absolute, out var url) ? url.Host
        : "satsmotion";
}
