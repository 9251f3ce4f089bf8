namespace SatsMotion.Video.Remote;

/// <summary>How often a provider's job status is asked: soon at first, then less often, never more than every 5 s.</summary>
public static class ProviderPolling
{
    public static TimeSpan Delay(int poll) => TimeSpan.FromMilliseconds(Math.Min(5000, 250 * Math.Pow(1.5, poll)));
}
