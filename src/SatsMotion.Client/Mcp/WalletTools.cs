using System.ComponentModel;
using System.Text.Json.Nodes;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace SatsMotion.Client.Mcp;

/// <summary>What the user allowed this session to spend: at most MaxCostSats a video and BudgetSats in all.</summary>
public sealed class SessionBudget(long maxCostSats, long maxFeeSats, long budgetSats)
{
    private readonly Lock _gate = new();
    private long _spent;

    public long MaxFeeSats => maxFeeSats;

    public long Left
    {
        get
        {
            lock (_gate)
            {
                return budgetSats - _spent;
            }
        }
    }

    /// <summary>The most the next payment may cost, or why none may be made.</summary>
    public (long Limit, string? Refusal) Allow(long price)
    {
        var left = Left;
        return price > maxCostSats ? (0, $"the price of {price} sats is above the per-video limit of {maxCostSats} sats (--max-cost)")
            : price > left ? (0, $"the price of {price} sats is above what is left of this session's budget ({left} of {budgetSats} sats, --budget)")
            : (Math.Min(maxCostSats, left), null);
    }

    public void Spend(long sats)
    {
        lock (_gate)
        {
            _spent += sats;
        }
    }
}

/// <summary>
/// The one-shot tool for an agent whose user configured a wallet and a budget: quote, pay within the budget, wait,
/// download. It pays through the client's L402 fetcher and token cache, so the same request is never paid twice.
/// </summary>
[McpServerToolType]
public sealed class WalletTools(ServerApi api, PaymentFetcher fetcher, SessionBudget budget)
{
    [McpServerTool(Name = "animate_image")]
    [Description("Makes a video from an image in one call: quotes, pays with the configured wallet within the session's budget, waits, downloads. Returns the video's URL and local path. The same request is never paid twice.")]
    public async Task<CallToolResult> AnimateImageAsync(
        [Description(AgentTools.ImageText)] string image,
        [Description("What should happen in the video")] string prompt,
        [Description(AgentTools.DurationText)] int? duration = null,
        [Description(AgentTools.ModelText)] string? model = null,
        CancellationToken cancellationToken = default) => await ToolResults.GuardAsync(async () =>
        {
            var bytes = ImageInput.Read(image);
            var quote = Quote.For(await api.ModelsAsync(cancellationToken), duration, model);
            if (quote.Error is not null)
            {
                return quote.Error;
            }

            var body = ServerApi.AnimateBody(prompt, bytes, quote.Duration, quote.Slug);
            // A request already paid for is sent with its token: it costs nothing against the budget.
            var (limit, refusal) = fetcher.HasTokenFor(HttpMethod.Post, api.AnimateUrl, body) ? (0, null) : budget.Allow(quote.PriceSats);
            if (refusal is not null)
            {
                return ToolResults.Error("BUDGET_EXCEEDED", refusal, "nothing was paid; ask the user to raise the limit or pay the invoice from create_animation_invoice themselves");
            }

            var policy = new PaymentPolicy(limit, budget.MaxFeeSats, limit, (_, _) => true);
            var result = await fetcher.SendAsync(HttpMethod.Post, api.AnimateUrl, body, new Dictionary<string, string> { ["Prefer"] = "wait=60" }, policy, cancellationToken);
            budget.Spend(result.PaidSats);
            var job = await ServerApi.ReadAsync(result.Response, cancellationToken);
            if (job["jobId"] is null)
            {
                return ToolResults.Error(job);
            }

            while (job["status"]?.GetValue<string>() is "QUEUED" or "PROCESSING")
            {
                await Task.Delay(1000, cancellationToken);
                job = await api.JobAsync(job["jobId"]!.GetValue<string>(), cancellationToken);
            }

            if (job["status"]?.GetValue<string>() != "COMPLETED")
            {
                return ToolResults.Error(job);
            }

            var videoUrl = new Uri(job["videoUrl"]!.GetValue<string>());
            var path = Path.Combine(File.Exists(image) ? Path.GetDirectoryName(Path.GetFullPath(image))! : Directory.GetCurrentDirectory(), $"satsmotion-{job["jobId"]}.mp4");
            await File.WriteAllBytesAsync(path, await api.DownloadAsync(videoUrl, cancellationToken), cancellationToken);
            return ToolResults.Ok(new JsonObject
            {
                ["videoUrl"] = videoUrl.ToString(),
                ["path"] = path,
                ["jobId"] = job["jobId"]!.GetValue<string>(),
                ["paid_sats"] = result.PaidSats,
                ["reused_token"] = result.UsedCachedToken,
                ["budget_left_sats"] = budget.Left,
            });
        });
}
