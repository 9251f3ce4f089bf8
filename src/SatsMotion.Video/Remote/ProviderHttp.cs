using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace SatsMotion.Video.Remote;

/// <summary>
/// The HTTP client a provider talks through: a timeout per attempt and in all, and jittered retries of transient
/// failures (5xx, 429, timeouts, refused connections) only for requests marked idempotent: a status poll may be
/// repeated, a submission never (the operator pays the provider per submission).
/// </summary>
public static class ProviderHttp
{
    // One attempt may take as long as the longest single call: an image upload, never retried, of up to 20 MB (the
    // server's MaxImageBytes) to Replicate's files API, fal's storage or ComfyUI's /upload/image, about 80 s on a
    // 2 Mbit/s uplink. Every other call answers at once (a create returns its id; a poll its state). An output
    // download is bounded by the re-hoster's own deadline: this limit ends when its headers arrive.
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(90);
    public static readonly TimeSpan TotalTimeout = TimeSpan.FromMinutes(4);

    private static readonly HttpRequestOptionsKey<bool> IdempotentKey = new("SatsMotion.Video.Idempotent");

    public static HttpRequestMessage Idempotent(this HttpRequestMessage request)
    {
        request.Options.Set(IdempotentKey, true);
        return request;
    }

    public static void AddProviderHttpClient(this IServiceCollection services, string name, Uri? baseAddress)
    {
        services.AddHttpClient(name, client =>
            {
                client.BaseAddress = baseAddress;
                client.Timeout = Timeout.InfiniteTimeSpan;
            })
            .AddResilienceHandler("video-provider", pipeline =>
            {
                pipeline.AddTimeout(TotalTimeout);
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = 3,
                    Delay = TimeSpan.FromMilliseconds(500),
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    ShouldHandle = args => ValueTask.FromResult(
                        args.Context.GetRequestMessage()?.Options.TryGetValue(IdempotentKey, out var idempotent) == true && idempotent
                        && HttpClientResiliencePredicates.IsTransient(args.Outcome)),
                });
                pipeline.AddTimeout(AttemptTimeout);
            });
    }
}
