using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using SatsMotion.Lightning;
using SatsMotion.Server.Api;
using SatsMotion.Server.Configuration;
using SatsMotion.Server.Hardening;
using SatsMotion.Server.Jobs;
using SatsMotion.Server.Storage;
using SatsMotion.Video.Models;

namespace SatsMotion.Server.Agents;

/// <summary>
/// The paid API as MCP tools (served at /mcp over streamable HTTP). Each tool runs the same code as its HTTP
/// endpoint: the request reader's validation, the challenge issuer, the redemption policy, the invoice query and the
/// job view. A refusal is a tool error whose text is the API's JSON error (error_code, error, field, hint).
/// </summary>
[McpServerToolType]
public sealed class AnimationTools(
    ModelCatalog catalog,
    ServiceManifest manifest,
    ChallengeIssuer issuer,
    RedemptionPolicy redemptions,
    InvoiceStatusQuery invoices,
    JobStore jobs,
    JobWaiter waiter,
    RefundStore refunds,
    UnpaidDecodes decodes,
    IOptions<SatsMotionOptions> options,
    IHttpContextAccessor http)
{
    [McpServerTool(Name = "list_models", ReadOnly = true, Idempotent = true)]
    [Description("The video models on offer: id, slug, name, ai or local, sats per second, the durations offered with their prices, and whether each can take work now.")]
    public CallToolResult ListModels() => Ok(new JsonObject { ["models"] = new JsonArray(catalog.All.Select(m => (JsonNode)manifest.Model(m)).ToArray()) });

    [McpServerTool(Name = "quote_animation", ReadOnly = true, Idempotent = true)]
    [Description("The price in sats of a video of this length with this model, before asking for an invoice.")]
    public CallToolResult QuoteAnimation([Description(ServiceManifest.DurationField)] int? duration = null, [Description(ServiceManifest.ModelField)] string? modelId = null)
    {
        var model = modelId is null ? catalog.Default : catalog.Find(modelId);
        if (model is null)
        {
            return Error(ApiError.BadInput("modelId", $"unknown modelId '{modelId}'; see list_models"));
        }

        var seconds = duration ?? model.Descriptor.DefaultDuration;
        return model.Descriptor.AllowsDuration(seconds)
            ? Ok(new JsonObject { ["model"] = model.Descriptor.Slug, ["duration"] = seconds, ["price_sats"] = model.Descriptor.PriceSats(seconds) })
            : Error(ApiError.BadInput("duration", $"duration {seconds} is not offered by {model.Descriptor.Slug}: {AnimateRequestReader.Allowed(model.Descriptor)}"));
    }

    [McpServerTool(Name = "create_animation_invoice", Destructive = false)]
    [Description("Validates the request and returns the challenges the HTTP API's 402 would: a Lightning invoice to pay, the L402 macaroon, the Payment (MPP) challenge for the same invoice, the amount, its expiry and payment hash. Pay the invoice, then call redeem_animation with the same request and the macaroon and preimage (or a Payment credential).")]
    public async Task<CallToolResult> CreateAnimationInvoiceAsync(
        [Description(ServiceManifest.PromptField)] string prompt,
        [Description(ServiceManifest.ImageField)] string image,
        [Description(ServiceManifest.DurationField)] int? duration = null,
        [Description(ServiceManifest.ModelField)] string? modelId = null,
        CancellationToken cancellationToken = default)
    {
        var (request, error) = await AnimateImageEndpoints.DecodeUnpaidAsync(decodes, () => Read(prompt, image, duration, modelId), cancellationToken);
        if (error is not null)
        {
            return Error(error);
        }

        return await GuardAsync(async () =>
        {
            var issued = await issuer.IssueAsync(request!, cancellationToken);
            return Ok(new JsonObject
            {
                ["invoice"] = issued.Invoice.PaymentRequest,
                ["macaroon"] = issued.Token.MacaroonBase64,
                ["amount_sats"] = issued.PriceSats,
                ["expires_at"] = issued.Invoice.ExpiresAt.ToString("O"),
                ["payment_hash"] = issued.Token.Identifier.PaymentHashHex,
                ["www_authenticate"] = issued.Challenge.ToHeaderValue(),
                ["payment_challenge"] = issued.Payment.ToHeaderValue(),
                ["payment_challenge_id"] = issued.Payment.Id,
            });
        });
    }

    [McpServerTool(Name = "check_invoice", ReadOnly = true)]
    [Description("Whether an invoice from create_animation_invoice is open, settled (then with its preimage) or expired. Needs the macaroon that came with it.")]
    public async Task<CallToolResult> CheckInvoiceAsync(
        [Description("The payment_hash of the challenge")] string payment_hash,
        [Description("The macaroon of the challenge")] string macaroon,
        CancellationToken cancellationToken = default) => await GuardAsync(async () =>
        {
            var (status, error) = await invoices.AskAsync(macaroon, payment_hash, cancellationToken);
            return error is null ? Ok(JsonSerializer.SerializeToNode(status)!.AsObject()) : Error(error);
        });

    [McpServerTool(Name = "redeem_animation")]
    [Description("Redeems a paid invoice for its video: send exactly the request of create_animation_invoice with the macaroon and the preimage your wallet returned, or a Payment credential ('Payment <base64url>') as authorization. Returns the job (COMPLETED with videoUrl, or QUEUED/PROCESSING: then call get_job). One payment always returns the same job, whichever credential presents it; a FAILED job is retried at no charge.")]
    public async Task<CallToolResult> RedeemAnimationAsync(
        [Description(ServiceManifest.PromptField)] string prompt,
        [Description(ServiceManifest.ImageField)] string image,
        [Description("The macaroon of the challenge (with preimage)")] string? macaroon = null,
        [Description("The payment's preimage, 64 hex characters (with macaroon)")] string? preimage = null,
        [Description("Instead of macaroon and preimage: a whole credential, 'L402 <macaroon>:<preimage>' or 'Payment <base64url>'")] string? authorization = null,
        [Description(ServiceManifest.DurationField)] int? duration = null,
        [Description(ServiceManifest.ModelField)] string? modelId = null,
        [Description("Seconds to wait for the video before returning the job as it stands (0 to 300, default 30)")] int wait_seconds = 30,
        CancellationToken cancellationToken = default)
    {
        var (request, error) = Read(prompt, image, duration, modelId);
        if (error is not null)
        {
            return Error(error);
        }

        if (authorization is null && (macaroon is null || preimage is null))
        {
            return Error(ApiError.BadInput("authorization", "give macaroon and preimage, or authorization"));
        }

        return await GuardAsync(async () =>
        {
            var redemption = await redemptions.RedeemAsync(authorization ?? $"L402 {macaroon}:{preimage}", request!, cancellationToken);
            if (redemption.Refusal is not null)
            {
                return Error(redemption.Refusal);
            }

            var job = await waiter.WaitAsync(redemption.Job!.Id, TimeSpan.FromSeconds(Math.Clamp(wait_seconds, 0, 300)), cancellationToken);
            return await JobAsync(job.Id, cancellationToken, job.Status == JobStatus.FAILED ? null : redemption.Receipt);
        });
    }

    [McpServerTool(Name = "get_job", ReadOnly = true, Idempotent = true)]
    [Description("A job's status, progress, videoUrl once COMPLETED, the error and reason_code if FAILED, and the refund if one is offered.")]
    public async Task<CallToolResult> GetJobAsync([Description("The jobId from redeem_animation")] string job_id, CancellationToken cancellationToken = default) =>
        await JobAsync(job_id, cancellationToken);

    private async Task<CallToolResult> JobAsync(string jobId, CancellationToken cancellationToken, L402.Mpp.PaymentReceipt? receipt = null)
    {
        var job = jobId.Length == 32 && jobId.All(char.IsAsciiHexDigitLower) ? await jobs.FindAsync(jobId, cancellationToken) : null;
        if (job is null)
        {
            return Error(new ApiError(StatusCodes.Status404NotFound, "JOB_NOT_FOUND", $"no job '{jobId}'", Hint: "use the jobId returned by redeem_animation"));
        }

        var baseUrl = JobView.BaseUrl(http.HttpContext!.Request, options.Value.PublicBaseUrl);
        var view = JsonSerializer.SerializeToNode(JobView.Describe(job, baseUrl, await refunds.FindByJobAsync(job.Id, cancellationToken)))!.AsObject();
        if (receipt is not null)
        {
            // What the HTTP API sends as Payment-Receipt for a Payment credential.
            view["payment_receipt"] = receipt.ToHeaderValue();
        }

        return Ok(view);
    }

    // The tool's arguments go through the HTTP API's own reader, so both refuse exactly the same things.
    private (AnimateRequest? Request, ApiError? Error) Read(string prompt, string image, int? duration, string? modelId)
    {
        var body = new JsonObject { ["prompt"] = prompt, ["image"] = image };
        if (duration is not null)
        {
            body["duration"] = duration;
        }

        if (modelId is not null)
        {
            body["modelId"] = modelId;
        }

        var settings = options.Value;
        return AnimateRequestReader.Read(JsonSerializer.SerializeToUtf8Bytes(body), catalog, settings.MaxImageBytes, settings.MaxPromptLength);
    }

    private static async Task<CallToolResult> GuardAsync(Func<Task<CallToolResult>> call)
    {
        try
        {
            return await call();
        }
        catch (LightningBackendException e)
        {
            return Error(LightningErrors.ToApiError(e));
        }
        catch (Exception e) when (StoreErrors.ToApiError(e) is { } error)
        {
            return Error(error);
        }
    }

    private static CallToolResult Ok(JsonObject result) => new() { Content = [new TextContentBlock { Text = result.ToJsonString() }] };

    private static CallToolResult Error(ApiError error) => new()
    {
        IsError = true,
        Content = [new TextContentBlock { Text = JsonSerializer.Serialize(error.Body()) }],
    };
}
