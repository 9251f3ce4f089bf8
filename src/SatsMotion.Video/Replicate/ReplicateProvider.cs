using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Video.Models;
using SatsMotion.Video.Remote;

namespace SatsMotion.Video.Replicate;

/// <summary>
/// Replicate's HTTP API (replicate.com/docs/reference/http): a prediction is created on the model's endpoint
/// (POST /v1/models/{owner}/{name}/predictions) or for a pinned version (POST /v1/predictions with "version"), and
/// answers at once with its id (no "Prefer: wait": a create is never retried, and holding it open for a result we do
/// not read only risks losing the id); then GET /v1/predictions/{id} until it succeeds, fails or is canceled;
/// POST /v1/predictions/{id}/cancel. Bearer token. The image goes as a data URI, or through the files API
/// (POST /v1/files) above the documented data-URI size. The availability check validates the input template
/// against the model's openapi_schema (GET /v1/models/{owner}/{name}, or its version). With a push URL, a create asks
/// for a webhook on completion ("webhook", "webhook_events_filter": ["completed"]); the webhook is signed with the
/// account's Standard Webhooks secret (GET /v1/webhooks/default/secret → {"key": "whsec_…"}).
/// </summary>
public sealed partial class ReplicateProvider(ProviderClient http, string? apiKey, string providerModel, JsonObject input, OfferedLengths lengths, ProviderPushes pushes, Uri? pushUrl,
    TimeProvider? clock = null) : IVideoProvider, IPushingProvider
{
    private (Json.Schema.JsonSchema Schema, DateTimeOffset At)? _schema;
    private PublishedKeys<string>? _webhookSecret;

    // When a fetched schema is fetched again (the server's clock, which tests move).
    private DateTimeOffset Now => (clock ?? TimeProvider.System).GetUtcNow();

    public static readonly Uri PublicApi = new("https://api.replicate.com/");

    /// <summary>Replicate recommends data URIs only below 1 MB ("Input files"); larger images are uploaded.</summary>
    public const int DataUriLimit = 1024 * 1024;

    public static Func<IServiceProvider, IVideoProvider> Register(IServiceCollection services, ModelSettings model)
    {
        var name = $"replicate:{model.Slug}";
        services.AddProviderHttpClient(name, ProviderEndpoint.BaseAddress(model, PublicApi));
        var providerModel = model.ProviderModel ?? throw new VideoConfigurationException($"SatsMotion:Models: model '{model.Slug}' (replicate) needs ProviderModel: owner/name or owner/name:version");
        if (!ModelPattern().IsMatch(providerModel))
        {
            throw new VideoConfigurationException($"SatsMotion:Models: model '{model.Slug}': ProviderModel '{providerModel}' is not owner/name or owner/name:version");
        }

        return sp =>
        {
            var pushes = sp.GetService<ProviderPushes>() ?? ProviderPushes.Off;
            return new ReplicateProvider(new ProviderClient(sp.GetRequiredService<IHttpClientFactory>().CreateClient(name), "replicate"), model.ReadApiKey(), providerModel,
                model.Input ?? new JsonObject { ["image"] = "{image}", ["prompt"] = "{prompt}" }, model.Lengths, pushes, pushes.UrlFor(model.Slug), sp.GetService<TimeProvider>());
        };
    }

    public async Task<string> SubmitAsync(ProviderJob job, CancellationToken cancellationToken)
    {
        var image = job.Image.Length <= DataUriLimit ? $"data:{job.MediaType};base64,{Convert.ToBase64String(job.Image)}" : await UploadAsync(job, cancellationToken);
        var filled = InputTemplate.Fill(input, InputTemplate.Values(image, job));
        var colon = providerModel.IndexOf(':');
        var (path, body) = colon < 0
            ? ($"v1/models/{providerModel}/predictions", new JsonObject { ["input"] = filled })
            : ("v1/predictions", new JsonObject { ["version"] = providerModel[(colon + 1)..], ["input"] = filled });
        if (pushUrl is not null)
        {
            body["webhook"] = pushUrl.ToString();
            body["webhook_events_filter"] = new JsonArray("completed");
        }

        using var request = Request(HttpMethod.Post, path);
        request.Content = JsonContent.Create(body);
        var prediction = await SendAsync(request, "create prediction", cancellationToken);
        return prediction["id"]?.GetValue<string>() is { Length: > 0 } id ? id : throw http.Malformed("create prediction", "no id");
    }

    public async Task<ProviderOutput> WaitAsync(string remoteJobId, IProgress<double> progress, CancellationToken cancellationToken)
    {
        try
        {
            return await PollAsync(remoteJobId, progress, cancellationToken);
        }
        finally
        {
            pushes.Forget(remoteJobId);
        }
    }

    private async Task<ProviderOutput> PollAsync(string remoteJobId, IProgress<double> progress, CancellationToken cancellationToken)
    {
        for (var poll = 0; ; poll++)
        {
            var pushed = pushes.Next(remoteJobId);
            using var request = Request(HttpMethod.Get, $"v1/predictions/{Uri.EscapeDataString(remoteJobId)}").Idempotent();
            var prediction = await SendAsync(request, "get prediction", cancellationToken);
            switch (prediction["status"]?.GetValue<string>())
            {
                case "succeeded":
                    return new ProviderOutput(Output(prediction["output"]));
                case "failed" or "canceled" or "aborted":
                    throw Failed(prediction);
                case "starting" or "processing":
                    if (LogProgress(prediction["logs"]?.GetValue<string>()) is { } fraction)
                    {
                        progress.Report(fraction);
                    }

                    break;
                case var status:
                    throw http.Malformed("get prediction", $"status '{status}'");
            }

            await ProviderPushes.DelayAsync(pushed, ProviderPolling.Delay(poll, pushUrl is not null), cancellationToken);
        }
    }

    /// <summary>A completion webhook: the prediction's id once the account's signature checks out.</summary>
    public async Task<string?> ReadPushAsync(IReadOnlyDictionary<string, string> headers, byte[] body, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var secret = await WebhookSecret.CurrentAsync(cancellationToken);
        if (!StandardWebhookCheck.IsValid(secret, headers, body, now))
        {
            // The secret may have been rotated: read it again (not more often than every 30 s) before refusing.
            if (await WebhookSecret.AfterFailureAsync(secret, cancellationToken) is not { } renewed || !StandardWebhookCheck.IsValid(renewed, headers, body, now))
            {
                return null;
            }
        }

        try
        {
            return System.Text.Json.Nodes.JsonNode.Parse(body)?["id"]?.GetValue<string>();
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    // Kept an hour; one instance per provider (per model), made once.
    private PublishedKeys<string> WebhookSecret =>
        LazyInitializer.EnsureInitialized(ref _webhookSecret, () => new PublishedKeys<string>(ReadWebhookSecretAsync, TimeSpan.FromHours(1), TimeProvider.System));

    private async Task<string> ReadWebhookSecretAsync(CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, "v1/webhooks/default/secret").Idempotent();
        var answer = await SendAsync(request, "webhook secret", cancellationToken);
        return answer["key"]?.GetValue<string>() is { Length: > 0 } text ? text : throw http.Malformed("webhook secret", "no key");
    }

    /// <summary>The provider keeps a finished job's record and output for its own time; nothing to do.</summary>
    public Task ForgetAsync(string remoteJobId, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task CancelAsync(string remoteJobId, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Post, $"v1/predictions/{Uri.EscapeDataString(remoteJobId)}/cancel");
        await SendAsync(request, "cancel prediction", cancellationToken);
    }

    public async Task<ModelAvailability> CheckAsync(CancellationToken cancellationToken)
    {
        if (apiKey is null)
        {
            return new ModelAvailability(false, "no ApiKey or ApiKeyFile (or the file cannot be read)");
        }

        try
        {
            using var request = Request(HttpMethod.Get, "v1/account").Idempotent();
            await SendAsync(request, "account", cancellationToken);
        }
        catch (VideoGenerationException e)
        {
            return new ModelAvailability(false, e.Detail);
        }

        return await InputPreflight.CheckAsync(() => SchemaAsync(cancellationToken), "the model's schema", providerModel, input, lengths);
    }

    // The version's openapi_schema: components.schemas.Input, whose enums are components of their own.
    private async Task<Json.Schema.JsonSchema> SchemaAsync(CancellationToken cancellationToken)
    {
        if (_schema is { } cached && Now - cached.At < InputPreflight.SchemaLifetime)
        {
            return cached.Schema;
        }

        var colon = providerModel.IndexOf(':');
        var path = colon < 0 ? $"v1/models/{providerModel}" : $"v1/models/{providerModel[..colon]}/versions/{providerModel[(colon + 1)..]}";
        using var request = Request(HttpMethod.Get, path).Idempotent();
        var answer = await SendAsync(request, "model schema", cancellationToken);
        var document = (colon < 0 ? answer["latest_version"]?["openapi_schema"] : answer["openapi_schema"])
            ?? throw http.Malformed("model schema", "no openapi_schema");
        if (document["components"]?["schemas"]?["Input"] is null)
        {
            throw http.Malformed("model schema", "no components.schemas.Input");
        }

        var schema = InputPreflight.FromOpenApi(document, "#/components/schemas/Input");
        _schema = (schema, Now);
        return schema;
    }

    private async Task<string> UploadAsync(ProviderJob job, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Post, "v1/files");
        var file = new ByteArrayContent(job.Image);
        file.Headers.ContentType = new MediaTypeHeaderValue(job.MediaType);
        request.Content = new MultipartFormDataContent { { file, "content", "image" } };
        var uploaded = await SendAsync(request, "upload file", cancellationToken);
        return uploaded["urls"]?["get"]?.GetValue<string>() ?? throw http.Malformed("upload file", "no urls.get");
    }

    private HttpRequestMessage Request(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return request;
    }

    private async Task<JsonNode> SendAsync(HttpRequestMessage request, string call, CancellationToken cancellationToken)
    {
        var reply = await http.SendAsync(request, call, cancellationToken);
        if (reply.IsSuccess)
        {
            return reply.Json ?? throw http.Malformed(call, "not JSON");
        }

        // Replicate's errors are problem details: {"title", "detail", "status", "invalid_fields"?}.
        var detail = $"replicate {call}: HTTP {(int)reply.Status} {reply.Json?["title"]?.GetValue<string>()}: {reply.Json?["detail"]?.GetValue<string>()}";
        var transient = reply.Status is HttpStatusCode.TooManyRequests || (int)reply.Status >= 500;
        throw new VideoGenerationException(VideoFailure.ProviderFailed, "the video provider refused the job", detail, transient);
    }

    private Uri Output(JsonNode? output)
    {
        // A URL, a list of URLs (the video is the last), or an object holding one.
        var url = output switch
        {
            JsonValue value when value.TryGetValue<string>(out var text) => text,
            JsonArray list => list.LastOrDefault(item => item is JsonValue)?.GetValue<string>(),
            JsonObject obj => obj.Select(p => p.Value).OfType<JsonValue>().Select(v => v.TryGetValue<string>(out var s) ? s : null).FirstOrDefault(s => s?.StartsWith("http", StringComparison.Ordinal) == true),
            _ => null,
        };
        return Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri : throw http.Malformed("get prediction", "no output URL");
    }

    private static VideoGenerationException Failed(JsonNode prediction)
    {
        var error = prediction["error"]?.ToString() ?? prediction["status"]!.GetValue<string>();
        var filtered = ContentFilterPattern().IsMatch(error);
        return new VideoGenerationException(filtered ? VideoFailure.ContentFiltered : VideoFailure.ProviderFailed,
            filtered ? "the provider's safety filter refused this image or prompt" : "the video provider could not make this video",
            $"replicate prediction {prediction["id"]}: {prediction["status"]}: {error}");
    }

    // Predictors print tqdm bars ("45%|████▌     | 9/20"); the last one is the progress.
    private static double? LogProgress(string? logs) =>
        logs is null ? null : ProgressPattern().Matches(logs).LastOrDefault() is { } match ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) / 100 : null;

    [GeneratedRegex(@"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(:[0-9a-f]{8,})?$")]
    private static partial Regex ModelPattern();

    [GeneratedRegex(@"NSFW|sensitive|safety|E005|content (policy|moderation)", RegexOptions.IgnoreCase)]
    private static partial Regex ContentFilterPattern();

    [GeneratedRegex(@"(\d{1,3})%\|")]
    private static partial Regex ProgressPattern();
}
