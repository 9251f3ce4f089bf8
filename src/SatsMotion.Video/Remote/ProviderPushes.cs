using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace SatsMotion.Video.Remote;

/// <summary>A provider that tells us when a job ends (Replicate's and fal's webhooks).</summary>
public interface IPushingProvider
{
    /// <summary>
    /// The provider's job id a push names, once its signature and time check out; null for any push that does not.
    /// A push is only a reason to look: the wait then reads the provider's state as it always does.
    /// </summary>
    Task<string?> ReadPushAsync(IReadOnlyDictionary<string, string> headers, byte[] body, CancellationToken cancellationToken);
}

/// <summary>
/// Where providers push (under the server's public address, when it has one) and the wake-ups of the waits the
/// pushes are for. Without a public address nothing is pushed and the waits poll as before.
/// </summary>
public sealed class ProviderPushes(string? publicBaseUrl)
{
    public const string PathTemplate = "/api/providers/{model}/push";

    public static readonly ProviderPushes Off = new(null);

    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waits = new();

    public bool Enabled => publicBaseUrl is not null;

    /// <summary>The URL a provider pushes a model's job endings to, or null when pushes are off.</summary>
    public Uri? UrlFor(string modelSlug) =>
        publicBaseUrl is null ? null : new Uri($"{publicBaseUrl.TrimEnd('/')}{PathTemplate.Replace("{model}", Uri.EscapeDataString(modelSlug), StringComparison.Ordinal)}");

    /// <summary>Completes at the next push for the job. Take it before reading the job's state, so a push meanwhile is not missed.</summary>
    public Task Next(string remoteJobId) => _waits.GetOrAdd(remoteJobId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Wake(string remoteJobId)
    {
        if (_waits.TryRemove(remoteJobId, out var wait))
        {
            wait.TrySetResult();
        }
    }

    /// <summary>The wait is over: nothing is kept for the job.</summary>
    public void Forget(string remoteJobId) => _waits.TryRemove(remoteJobId, out _);

    /// <summary>Until the push or the poll delay, whichever comes first.</summary>
    public static async Task DelayAsync(Task pushed, TimeSpan delay, CancellationToken cancellationToken)
    {
        await Task.WhenAny(pushed, Task.Delay(delay, cancellationToken));
        cancellationToken.ThrowIfCancellationRequested();
    }
}

/// <summary>
/// Checks a Standard Webhooks signature (standardwebhooks.com: HMAC-SHA256 of "id.timestamp.body" under the base64
/// key after "whsec_"; "v1,&lt;base64&gt;" entries separated by spaces) and its timestamp (±5 minutes), on raw bytes.
/// </summary>
public static class StandardWebhookCheck
{
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    public static bool IsValid(string secret, IReadOnlyDictionary<string, string> headers, byte[] body, DateTimeOffset now)
    {
        if (!headers.TryGetValue("webhook-id", out var id) || !headers.TryGetValue("webhook-timestamp", out var timestamp) || !headers.TryGetValue("webhook-signature", out var signatures)
            || !long.TryParse(timestamp, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            || Math.Abs(now.ToUnixTimeSeconds() - seconds) > Tolerance.TotalSeconds)
        {
            return false;
        }

        byte[] key;
        try
        {
            key = Convert.FromBase64String(secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret[6..] : secret);
        }
        catch (FormatException)
        {
            return false;
        }

        byte[] signed = [.. System.Text.Encoding.UTF8.GetBytes($"{id}.{timestamp}."), .. body];
        var expected = HMACSHA256.HashData(key, signed);
        foreach (var entry in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var buffer = new byte[32];
            if (entry.StartsWith("v1,", StringComparison.Ordinal) && Convert.TryFromBase64String(entry[3..], buffer, out var written) && written == 32
                && CryptographicOperations.FixedTimeEquals(buffer, expected))
            {
                return true;
            }
        }

        return false;
    }
}
