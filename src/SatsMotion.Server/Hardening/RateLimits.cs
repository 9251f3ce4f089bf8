using System.Globalization;
using System.Threading.RateLimiting;
using SatsMotion.Server.Api;

namespace SatsMotion.Server.Hardening;

/// <summary>Requests per minute per client address; 0 turns a limit off.</summary>
public sealed class RateLimitSettings
{
    /// <summary>Unpaid POSTs to animate-image: each one costs an image decode and a signed invoice.</summary>
    public int ChallengesPerMinute { get; set; } = 30;

    /// <summary>POSTs carrying an L402 credential (a paid caller polls with Prefer: wait, so this is generous).</summary>
    public int RedemptionsPerMinute { get; set; } = 120;

    /// <summary>The web page's invoice-status poll.</summary>
    public int InvoicePollsPerMinute { get; set; } = 120;

    /// <summary>MCP calls at /mcp (an agent's create_animation_invoice costs what a 402 does).</summary>
    public int McpCallsPerMinute { get; set; } = 120;
}

/// <summary>
/// Per-client-address limits (ASP.NET Core's rate limiter) on what anonymous callers can make the server do:
/// challenges, redemption attempts and invoice polls. Refusals are 429 with Retry-After and the API's JSON error.
/// The address is the connection's, or the client's as told by a trusted proxy (<see cref="ClientAddresses"/>).
/// </summary>
public static class RateLimits
{
    public const string AnimatePolicy = "animate";
    public const string InvoicePollPolicy = "invoice-poll";
    public const string McpPolicy = "mcp";

    public static void AddSatsMotionRateLimits(this IServiceCollection services, RateLimitSettings settings)
    {
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(AnimatePolicy, context => IsRedemption(context.Request)
                ? Bucket($"redeem:{ClientKey(context)}", settings.RedemptionsPerMinute)
                : Bucket($"challenge:{ClientKey(context)}", settings.ChallengesPerMinute));
            limiter.AddPolicy(InvoicePollPolicy, context => Bucket($"poll:{ClientKey(context)}", settings.InvoicePollsPerMinute));
            limiter.AddPolicy(McpPolicy, context => Bucket($"mcp:{ClientKey(context)}", settings.McpCallsPerMinute));
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                rejected.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(nameof(RateLimits))
                    .LogInformation("Rate limited {Method} {Path} from {Client}", rejected.HttpContext.Request.Method, rejected.HttpContext.Request.Path, ClientKey(rejected.HttpContext));
                SatsMotionMetrics.RateLimited.WithLabels(rejected.HttpContext.Request.Path.StartsWithSegments("/mcp") ? "mcp" : IsRedemption(rejected.HttpContext.Request) ? "redeem" : rejected.HttpContext.Request.Method == "GET" ? "invoice-poll" : "challenge").Inc();
                await new ApiError(StatusCodes.Status429TooManyRequests, "RATE_LIMITED", "too many requests from this address",
                    Hint: $"slow down and try again in {Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s; nothing was charged", RetryAfter: retryAfter)
                    .ToResult().ExecuteAsync(rejected.HttpContext);
            };
        });
    }

    private static RateLimitPartition<string> Bucket(string key, int perMinute) => perMinute <= 0
        ? RateLimitPartition.GetNoLimiter(key)
        : RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            // A burst of a minute's worth, then a steady refill: a person retrying by hand never notices.
            TokenLimit = perMinute,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1) / perMinute,
            QueueLimit = 0,
            AutoReplenishment = true,
        });

    private static bool IsRedemption(HttpRequest request) =>
        request.Headers.Authorization.ToString().TrimStart() is var value
        && (value.StartsWith("L402 ", StringComparison.OrdinalIgnoreCase) || value.StartsWith("LSAT ", StringComparison.OrdinalIgnoreCase));

    private static string ClientKey(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
