using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using SatsMotion.Server.Api;
using SatsMotion.Server.Configuration;
using SatsMotion.Video.Models;

namespace SatsMotion.Server.Agents;

/// <summary>
/// The one description of the paid service that every machine-readable view is made from: the
/// /.well-known/l402-services manifest, /llms.txt, the GET animate-image description and the MCP tools' texts.
/// Prices and durations come from the live catalog and the field rules from the settings the validation uses.
/// </summary>
public sealed class ServiceManifest(ModelCatalog catalog, IOptions<SatsMotionOptions> options)
{
    public const string Name = "SatsMotion";
    public const string Summary = "Animate a still image into a short video, guided by a text prompt. Pay per request over Lightning, with L402 or the Payment (MPP) scheme; no account, no API key.";

    // The fields' meaning, shared by the JSON schema and the MCP tools' parameter descriptions.
    public const string PromptField = "What should happen in the video (for the local motion model: camera words such as zoom in, pan left, orbit, with speed words)";
    public const string ImageField = "Base64 PNG, JPEG, WebP, GIF or BMP, with or without a data:image/...;base64, prefix";
    public const string DurationField = "Seconds of video; each model offers its own durations (see the models' durations); the model's default when omitted";
    public const string ModelField = "A model id or slug; the default model when omitted";
    public const string CallbackField = "An absolute https:// URL on a public host and port (443 or 1024 and up) that gets a signed webhook when the job ends (Standard Webhooks; the secret is webhook_secret in the paid answer); part of the paid request";

    /// <summary>Every error_code the paid API answers with, and when.</summary>
    public static readonly IReadOnlyDictionary<string, string> ErrorCodes = new Dictionary<string, string>
    {
        ["INVALID_INPUT"] = "400: a field breaks its rule (the body names it); nothing was invoiced",
        ["REQUEST_TOO_LARGE"] = "413: the body is over the size limit",
        ["UNSUPPORTED_MEDIA_TYPE"] = "415: the body is not sent as JSON (Content-Type: application/json)",
        ["PAYMENT_REQUIRED"] = "402: no credential; the challenge is in WWW-Authenticate and the body",
        ["L402_REQUEST_MISMATCH"] = "402: the paid token was issued for another request; a fresh challenge for this one is attached",
        ["PAYMENT_NOT_SETTLED"] = "402: the node does not report the invoice paid yet; send the same request again once it is",
        ["PAYMENT_INSUFFICIENT"] = "402: the invoice was settled for less than the price",
        ["L402_MALFORMED_CREDENTIAL"] = "401: the Authorization header is not L402 <macaroon>:<preimage>",
        ["L402_MALFORMED_PREIMAGE"] = "401: the preimage is not 64 hex characters",
        ["L402_MALFORMED_MACAROON"] = "401: the macaroon does not decode",
        ["L402_INVALID_TOKEN"] = "401: the macaroon was not issued by this server or was altered",
        ["L402_INVALID_PREIMAGE"] = "401: the preimage does not belong to the macaroon's invoice",
        ["L402_TOKEN_EXPIRED"] = "401: the token is past its lifetime",
        ["L402_TOKEN_REVOKED"] = "401: the operator revoked the token",
        ["MPP_MALFORMED_CREDENTIAL"] = "402 (problem lightning/malformed-credential): the Payment credential is not base64url JSON of {challenge, payload: {preimage}}",
        ["MPP_METHOD_UNSUPPORTED"] = "400 (problem method-unsupported): a Payment method or intent other than lightning/charge",
        ["MPP_INVALID_CHALLENGE"] = "402 (problem invalid-challenge): the echoed Payment challenge was not issued here or was altered",
        ["MPP_CHALLENGE_EXPIRED"] = "402 (problem payment-expired): the Payment challenge's time has passed; a paid invoice still redeems with its L402 credential",
        ["MPP_INVALID_PREIMAGE"] = "402 (problem lightning/invalid-preimage): the preimage does not hash to the challenge's invoice",
        ["MPP_REQUEST_MISMATCH"] = "402 (problem verification-failed): the Payment challenge was issued for another request; a fresh challenge for this one is attached",
        ["MPP_MULTIPLE_CREDENTIALS"] = "400: more than one Payment credential in the request",
        ["PAYMENT_REVOKED"] = "403: the operator revoked what this Payment credential bought",
        ["REFUND_CLAIMED"] = "409: the job failed and its refund was claimed, so the token cannot retry it",
        ["RATE_LIMITED"] = "429: too many requests from this address; see Retry-After",
        ["JOB_FAILED"] = "500: the paid job failed; the same request with the same credential retries it at no charge",
        ["LIGHTNING_BACKEND_ERROR"] = "502: the Lightning node answered something that failed the server's checks; nothing was charged",
        ["LIGHTNING_UNAVAILABLE"] = "503: the Lightning node cannot be reached; see Retry-After; a paid token stays valid",
        ["SERVER_BUSY"] = "503: too many unpaid requests are being checked at once; see Retry-After; nothing was invoiced",
        ["MODEL_UNAVAILABLE"] = "503: the chosen model cannot take work now; see Retry-After; nothing was invoiced",
        ["DATABASE_UNAVAILABLE"] = "503: the server's database cannot be reached; see Retry-After; nothing was charged and a paid token stays valid",
        ["STORAGE_UNAVAILABLE"] = "503: the video storage (bucket) cannot be reached; see Retry-After; nothing was charged and a paid token stays valid",
    };

    /// <summary>The error codes of the other endpoints (jobs, invoice status, the dev wallet), for the guide.</summary>
    public static readonly IReadOnlyDictionary<string, string> OtherErrorCodes = new Dictionary<string, string>
    {
        ["JOB_NOT_FOUND"] = "404 from the job endpoints and get_job: no job with that id",
        ["NOT_FOUND"] = "404 from /videos: no such video (it may be past its retention period)",
        ["L402_INVOICE_MISMATCH"] = "403 from the invoice status: the macaroon belongs to another invoice",
        ["INVALID_INVOICE"] = "400 from the dev wallet: the invoice does not decode",
        ["INVOICE_EXPIRED"] = "410 from the dev wallet: the invoice expired",
        ["INVOICE_NOT_FOUND"] = "404 from the dev wallet: not an invoice of this server's dev node",
        ["PUSH_NOT_VERIFIED"] = "401 from /api/providers/{model}/push (for Replicate and fal, not callers): the push's signature or timestamp does not check out",
        ["PUSH_NOT_CHECKED"] = "503 from /api/providers/{model}/push: the provider's signing keys cannot be read now; the provider retries",
        ["ADMIN_UNAUTHORIZED"] = "401 from the operator console (/admin, not for callers): no admin key or live session",
        ["ADMIN_LOCKED_OUT"] = "429 from the operator console: too many wrong admin keys from this address; Retry-After says when to try again",
        ["ADMIN_CROSS_SITE"] = "403 from the operator console: a change that did not come from the console's own page",
        ["REFUND_NOT_FOUND"] = "404 from the operator console's refund resolution: the job has no refund",
        ["REFUND_NOT_CLAIMING"] = "409 from the operator console's refund resolution: the refund is not a claim of unknown outcome (any more)",
        ["REFUND_STILL_PAYING"] = "409 from the operator console's refund resolution: a pay-out of the claim may still be running",
        ["REFUND_RELEASE_TOO_EARLY"] = "409 from the operator console's refund resolution: a payment of the claimed invoice could still settle; releasable_at says when",
    };

    /// <summary>The JSON schema of the request body, with the limits the validation applies.</summary>
    public JsonObject RequestSchema()
    {
        var settings = options.Value;
        var model = catalog.Default.Descriptor;
        return new JsonObject
        {
            ["type"] = "object",
            ["required"] = new JsonArray("prompt", "image"),
            ["properties"] = new JsonObject
            {
                ["prompt"] = new JsonObject
                {
                    ["type"] = "string",
                    ["minLength"] = 1,
                    ["maxLength"] = settings.MaxPromptLength,
                    ["description"] = PromptField,
                },
                ["image"] = new JsonObject
                {
                    ["type"] = "string",
                    ["description"] = $"{ImageField}; at most {settings.MaxImageBytes / (1024 * 1024)} MB, 8192 px a side and 40 megapixels",
                },
                ["duration"] = new JsonObject
                {
                    ["type"] = "integer",
                    ["minimum"] = model.MinDurationSeconds,
                    ["maximum"] = model.MaxDurationSeconds,
                    ["default"] = model.DefaultDuration,
                    ["description"] = DurationField,
                },
                ["modelId"] = new JsonObject { ["type"] = new JsonArray("integer", "string"), ["description"] = ModelField },
                ["callback_url"] = new JsonObject
                {
                    ["type"] = "string",
                    ["format"] = "uri",
                    ["maxLength"] = Callbacks.CallbackTarget.MaxLength,
                    ["description"] = CallbackField,
                },
                ["callback_id"] = new JsonObject
                {
                    ["type"] = "string",
                    ["minLength"] = 1,
                    ["maxLength"] = AnimateRequestReader.MaxCallbackIdLength,
                    ["description"] = "Echoed as data.callback_id in the webhook deliveries; needs callback_url",
                },
            },
        };
    }

    /// <summary>One model as every view lists it (the same fields as GET /api/l402/models, plus its prices).</summary>
    public JsonObject Model(IVideoModel model)
    {
        var d = model.Descriptor;
        return new JsonObject
        {
            ["id"] = d.Id,
            ["slug"] = d.Slug,
            ["name"] = d.Name,
            ["kind"] = d.IsAi ? "ai" : "local",
            ["sats_per_second"] = d.SatsPerSecond,
            ["durations"] = new JsonArray(d.Durations.Select(s => (JsonNode)s).ToArray()),
            ["default_duration"] = d.DefaultDuration,
            ["prices_sats"] = new JsonObject(d.Durations.Select(s => KeyValuePair.Create(s.ToString(CultureInfo.InvariantCulture), (JsonNode?)d.PriceSats(s)))),
            ["default"] = model == catalog.Default,
            ["available"] = catalog.AvailabilityOf(model).Available,
        };
    }

    /// <summary>The schemes a 402 offers, in the order of its WWW-Authenticate lines; both for the one invoice.</summary>
    public static JsonObject Authentication(SatsMotionOptions settings)
    {
        var schemes = PaymentSchemes.Parse(settings.PaymentSchemes);
        var l402 = new JsonObject
        {
            ["scheme"] = "L402",
            ["also_accepted"] = new JsonArray("LSAT"),
            ["challenge"] = "WWW-Authenticate: L402 macaroon=\"<base64>\", invoice=\"<bolt11>\" (the same in the JSON body)",
            ["credential"] = "Authorization: L402 <macaroon>:<preimage, 64 hex>",
            ["token_lifetime_seconds"] = (long)settings.TokenLifetime.TotalSeconds,
        };
        var mpp = new JsonObject
        {
            ["scheme"] = "Payment",
            ["specification"] = "IETF draft-httpauth-payment (MPP), method lightning, intent charge (draft-lightning-charge-00)",
            ["challenge"] = "WWW-Authenticate: Payment id=\"…\", realm=\"…\", method=\"lightning\", intent=\"charge\", request=\"<base64url JCS {amount, currency: sat, externalId, methodDetails: {invoice, network, paymentHash}}>\", expires=\"<RFC 3339>\"",
            ["credential"] = "Authorization: Payment <base64url JSON {challenge: <the echoed parameters>, payload: {preimage: <64 hex>}}>",
            ["receipt"] = "Payment-Receipt: <base64url JSON {status: success, method: lightning, timestamp, reference: <payment hash>, challengeId}> on a 2xx",
            ["realm"] = PaymentSchemes.Realm(settings),
        };
        return new JsonObject
        {
            ["schemes"] = new JsonArray(schemes.Select(s => (JsonNode)(s == PaymentScheme.L402 ? l402.DeepClone() : mpp.DeepClone())).ToArray()),
            ["challenge"] = "402 Payment Required with one WWW-Authenticate line per scheme, all for the same invoice; pay it once and redeem with either credential",
            ["invoice_expiry_seconds"] = (long)settings.InvoiceExpiry.TotalSeconds,
            ["one_job_per_payment"] = "the same request with either credential of one payment returns the same job; never a second charge",
        };
    }

    public JsonObject Build(string baseUrl)
    {
        var settings = options.Value;
        return new JsonObject
        {
            ["name"] = Name,
            ["description"] = Summary,
            ["openapi"] = $"{baseUrl}/openapi/v1.json",
            ["llms_txt"] = $"{baseUrl}/llms.txt",
            ["mcp"] = $"{baseUrl}/mcp",
            ["services"] = new JsonArray(new JsonObject
            {
                ["id"] = ChallengeIssuer.Service,
                ["endpoint"] = baseUrl + AnimateImageEndpoints.Path,
                ["method"] = "POST",
                ["content_type"] = "application/json",
                ["authentication"] = Authentication(settings),
                ["pricing"] = new JsonObject
                {
                    ["currency"] = "sats",
                    ["rule"] = "price_sats = duration_seconds × the model's sats_per_second",
                    ["models"] = new JsonArray(catalog.All.Select(m => (JsonNode)Model(m)).ToArray()),
                },
                ["request_schema"] = RequestSchema(),
                ["responses"] = new JsonObject
                {
                    ["sync"] = "200 {videoUrl, posterUrl, jobId, ...} when the video is ready within the wait",
                    ["async"] = "202 {jobId, poll_url, progress} with Location and Retry-After; poll until COMPLETED or FAILED",
                    ["prefer"] = $"Prefer: respond-async answers 202 at once; Prefer: wait=N waits up to N s (default {(int)settings.DefaultWait.TotalSeconds}, at most {(int)settings.MaxWait.TotalSeconds})",
                    ["poll"] = new JsonObject
                    {
                        ["url"] = $"{baseUrl}/api/l402/jobs/{{jobId}}",
                        ["interval_ms"] = JobView.PollIntervalMs,
                        ["statuses"] = new JsonArray("QUEUED", "PROCESSING", "COMPLETED", "FAILED"),
                    },
                    ["events"] = new JsonObject
                    {
                        ["url"] = $"{baseUrl}/api/l402/jobs/{{jobId}}/events",
                        ["format"] = "text/event-stream: events 'status' and 'progress', each data the job view as JSON; id for Last-Event-ID; ends at COMPLETED or FAILED (204 on a reconnect after the end)",
                    },
                    ["webhooks"] = new JsonObject
                    {
                        ["field"] = "callback_url (and optional callback_id) in the request body",
                        ["events"] = new JsonArray("job.completed", "job.failed"),
                        ["signature"] = "Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body> under webhook_secret (whsec_…, given in the paid answer)",
                        ["body"] = "{type, timestamp, data: the job view, with callback_id}",
                        ["retries"] = "at least once, the same webhook-id every time: after 10 s, 1 min, 5 min, 15 min, 30 min, 1 h, 2 h, 4 h, then every 8 h (±20 %), for 25 h; a 2xx ends it, 410 stops it",
                    },
                },
                ["errors"] = new JsonObject(ErrorCodes.Select(e => KeyValuePair.Create(e.Key, (JsonNode?)e.Value))),
            }),
        };
    }
}
