using System.ComponentModel;
using System.Text.Json.Nodes;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace SatsMotion.Client.Mcp;

/// <summary>
/// The server's tools over stdio, for an agent that holds no wallet of ours: it gets the invoice to show its user,
/// and redeems with the preimage the user's wallet returns. Each tool calls the server's HTTP API.
/// </summary>
[McpServerToolType]
public sealed class AgentTools(ServerApi api)
{
    public const string ImageText = "The still image: a file path, or base64 (PNG, JPEG, WebP, GIF or BMP)";
    public const string DurationText = "Seconds of video; one of the model's durations (list_models); the model's default when omitted";
    public const string ModelText = "A model id or slug from list_models; the default model when omitted";

    [McpServerTool(Name = "list_models", ReadOnly = true, Idempotent = true)]
    [Description("The server's video models: id, slug, name, ai or local, sats per second, the durations offered with their prices, availability.")]
    public async Task<CallToolResult> ListModelsAsync(CancellationToken cancellationToken = default) =>
        await ToolResults.GuardAsync(async () => ToolResults.Ok(new JsonObject { ["models"] = (await api.ModelsAsync(cancellationToken)).DeepClone() }));

    [McpServerTool(Name = "quote_animation", ReadOnly = true, Idempotent = true)]
    [Description("The price in sats of a video of this length with this model.")]
    public async Task<CallToolResult> QuoteAnimationAsync([Description(DurationText)] int? duration = null, [Description(ModelText)] string? modelId = null, CancellationToken cancellationToken = default) =>
        await ToolResults.GuardAsync(async () =>
        {
            var quote = Quote.For(await api.ModelsAsync(cancellationToken), duration, modelId);
            return quote.Error ?? ToolResults.Ok(new JsonObject { ["model"] = quote.Slug, ["duration"] = quote.Duration, ["price_sats"] = quote.PriceSats });
        });

    [McpServerTool(Name = "create_animation_invoice")]
    [Description("Asks the server for the request's L402 challenge: the Lightning invoice to pay, the macaroon, amount, expiry and payment hash. Show the invoice to your user; redeem with redeem_animation and the preimage.")]
    public async Task<CallToolResult> CreateAnimationInvoiceAsync(
        [Description("What should happen in the video")] string prompt,
        [Description(ImageText)] string image,
        [Description(DurationText)] int? duration = null,
        [Description(ModelText)] string? modelId = null,
        CancellationToken cancellationToken = default) => await ToolResults.GuardAsync(async () =>
        {
            var (status, json) = await api.PostAnimateAsync(ServerApi.AnimateBody(prompt, ImageInput.Read(image), duration, modelId), null, null, cancellationToken);
            return status == 402
                ? ToolResults.Ok(new JsonObject
                {
                    ["invoice"] = json["invoice"]?.DeepClone(),
                    ["macaroon"] = json["macaroon"]?.DeepClone(),
                    ["amount_sats"] = json["price_sats"]?.DeepClone(),
                    ["expires_at"] = json["expires_at"]?.DeepClone(),
                    ["payment_hash"] = json["payment_hash"]?.DeepClone(),
                })
                : ToolResults.Error(json);
        });

    [McpServerTool(Name = "check_invoice", ReadOnly = true)]
    [Description("Whether the invoice is open, settled (then with its preimage) or expired; needs the challenge's macaroon.")]
    public async Task<CallToolResult> CheckInvoiceAsync(string payment_hash, string macaroon, CancellationToken cancellationToken = default) =>
        await ToolResults.GuardAsync(async () =>
        {
            var (status, json) = await api.GetAsync($"/api/l402/invoices/{Uri.EscapeDataString(payment_hash)}", cancellationToken, $"L402 {macaroon}");
            return status == 200 ? ToolResults.Ok(json) : ToolResults.Error(json);
        });

    [McpServerTool(Name = "redeem_animation")]
    [Description("Redeems the paid token for its video: the same request as create_animation_invoice, with the macaroon and the preimage. The same token always returns the same job.")]
    public async Task<CallToolResult> RedeemAnimationAsync(
        [Description("What should happen in the video")] string prompt,
        [Description(ImageText)] string image,
        string macaroon,
        string preimage,
        [Description(DurationText)] int? duration = null,
        [Description(ModelText)] string? modelId = null,
        [Description("Seconds to wait for the video (0 to 300, default 30)")] int wait_seconds = 30,
        CancellationToken cancellationToken = default) => await ToolResults.GuardAsync(async () =>
        {
            var (status, json) = await api.PostAnimateAsync(ServerApi.AnimateBody(prompt, ImageInput.Read(image), duration, modelId), $"L402 {macaroon}:{preimage}",
                wait_seconds <= 0 ? "respond-async" : $"wait={Math.Min(wait_seconds, 300)}", cancellationToken);
            return status is 200 or 202 ? ToolResults.Ok(json) : ToolResults.Error(json);
        });

    [McpServerTool(Name = "get_job", ReadOnly = true, Idempotent = true)]
    [Description("A job's status, progress, videoUrl once COMPLETED, error and reason_code if FAILED, refund if offered.")]
    public async Task<CallToolResult> GetJobAsync(string job_id, CancellationToken cancellationToken = default) => await ToolResults.GuardAsync(async () =>
    {
        var (status, json) = await api.GetAsync($"/api/l402/jobs/{Uri.EscapeDataString(job_id)}", cancellationToken);
        return status == 200 ? ToolResults.Ok(json) : ToolResults.Error(json);
    });
}
