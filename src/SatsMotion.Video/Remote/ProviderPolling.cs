namespace SatsMotion.Video.Remote;

/// <summary>
/// How often a provider's job status is asked: soon at first, then less often, never more than every 5 s; when the
/// provider pushes its job endings, polling is only the fallback for a lost push: from 1 s up to every 15 s.
/// </summary>
public static class ProviderPolling
{
    public static TimeSpan Delay(int poll, bool pushed = false) =>
        TimeSpan.FromMilliseconds(pushed ? Math.Min(15_000, 1000 * Math.Pow(1.5, poll)) : Math.Min(5000, 250 * Math.Pow(1.5, poll)));
}
