using System.Globalization;

namespace SatsMotion.Server.Api;

/// <summary>RFC 7240 Prefer: <c>respond-async</c> (answer at once) or <c>wait=N</c> (seconds to wait for the result).</summary>
public static class PreferHeader
{
    public static TimeSpan Wait(HttpRequest request, TimeSpan defaultWait, TimeSpan maxWait)
    {
        foreach (var header in request.Headers["Prefer"])
        {
            foreach (var preference in (header ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (preference.Equals("respond-async", StringComparison.OrdinalIgnoreCase))
                {
                    return TimeSpan.Zero;
                }

                if (preference.StartsWith("wait=", StringComparison.OrdinalIgnoreCase)
                    && int.TryParse(preference.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
                {
                    return TimeSpan.FromSeconds(Math.Min(seconds, maxWait.TotalSeconds));
                }
            }
        }

        return defaultWait;
    }
}
