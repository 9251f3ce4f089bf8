using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Video.Models;
using SatsMotion.Video.Remote;

namespace SatsMotion.Video.Fal;

/// <summary>
/// fal.ai's queue API (docs.fal.ai, "Queue"): POST https://queue.fal.run/{app id} with the input submits a request
/// ({request_id, status_url, response_url, cancel_url, queue_position}); GET .../requests/{id}/status?logs=1 answers
/// IN_QUEUE (with queue_position), IN_PROGRESS (with logs) or COMPLETED; GET .../requests/{id} gives the app's output
/// ({"video": {"url"}}, or an error with its detail); PUT .../requests/{id}/cancel. Status, result and cancel URLs use
/// only the owner/alias part of an app id, after its namespace if it has one (fal-js libs/client/src/utils.ts,
/// parseEndpointId: "workflows/" and "comfy/"). Header "Authorization: Key …". Large images go through fal's storage
/// at rest.fal.ai (fal-js storage.ts: initiate an upload, PUT the bytes, pass the file URL). The availability check
/// validates the input template against the endpoint's OpenAPI (fal.ai/api/openapi/queue/openapi.json). With a push
/// URL, a submit carries it as ?fal_webhook=, and fal's signed POST (see <see cref="FalWebhookCheck"/>) wakes the wait.
/// </summary>
public sealed partial class FalProvider(ProviderClient http, Uri queue, Uri storage, Uri schemas, Uri webhookKeys, string? apiKey, string app, JsonObject input, OfferedLengths lengths,
    ProviderPushes pushes, Uri? pushUrl, TimeProvider? clock = null) : IVideoProvider, IPushingProvider
{
    private PublishedKeys<IReadOnlyList<byte[]>>? _webhookKeys;

    public static readonly Uri PublicQueue = new("https://queue.fal.run/");
    public static readonly Uri PublicStorage = new("https://rest.fal.ai/");
    public static readonly Uri PublicSchemas = new("https://fal.ai/");

    // fal-js utils.ts: ids under these namespaces are namespace/owner/alias[/path].
    private static readonly string[] Namespaces = ["workflows", "comfy"];

    private (Json.Schema.JsonSchema Schema, DateTimeOffset At)? _schema;

    // When a fetched schema is fetched again (the server's clock, which tests move).
    private DateTimeOffset Now => (clock ?? TimeProvider.System).GetUtcNow();

    /// <summary>Images up to this size go inline as data URIs; larger ones are uploaded to fal's storage first.</summary>
    public const int DataUriLimit = 1024 * 1024;

    public static Func<IServiceProvider, IVideoProvider> Register(IServiceCollection services, ModelSettings model)
    {
        var app = model.ProviderModel ?? throw new VideoConfigurationException($"SatsMotion:Models: model '{model.Slug}' (fal) needs ProviderModel: the fal application id, e.g. fal-ai/kling-video/v1.6/standard/image-to-video");
        if (!AppPattern().IsMatch(app))
        {
            throw new VideoConfigurationException($"SatsMotion:Models: model '{model.Slug}': ProviderModel '{app}' is not a fal application id (owner/app[/path])");
        }

        // A custom Endpoint (a proxy, or a test's stand-in) serves the queue, the storage and the schema API alike.
        var queue = ProviderEndpoint.BaseAddress(model, PublicQueue);
        var storage = model.Endpoint is null ? PublicStorage : queue;
        var schemas = model.Endpoint is null ? PublicSchemas : queue;
        var keys = model.Endpoint is null ? FalWebhookCheck.PublicKeys : new Uri(queue, ".well-known/jwks.json");
        var name = $"fal:{model.Slug}";
        services.AddProviderHttpClient(name, queue);
        return sp =>
        {
            var pushes = sp.GetService<ProviderPushes>() ?? ProviderPushes.Off;
            return new FalProvider(new ProviderClient(sp.GetRequiredService<IHttpClientFactory>().CreateClient(name), "fal"), queue, storage, schemas, keys, model.ReadApiKey(), app,
                model.Input ?? new JsonObject { ["image_url"] = "{image}", ["prompt"] = "{prompt}" }, model.Lengths, pushes, pushes.UrlFor(model.Slug), sp.GetService<TimeProvider>());
        };
    }

    /// <summary>Where status, result and cancel live: [namespace/]owner/alias, whatever path the app id adds.</summary>
    public static string RequestsPathOf(string app)
    {
        var parts = app.Split('/');
        return string.Join('/', parts.Take(Namespaces.Contains(parts[0]) ? 3 : 2)) + "/requests";
    }

    private string RequestsPath => RequestsPathOf(app);

    public async Task<string> SubmitAsync(ProviderJob job, CancellationToken cancellationToken)
    {
        var image = job.Image.Length <= DataUriLimit ? $"data:{job.MediaType};base64,{Convert.ToBase64String(job.Image)}" : await UploadAsync(job, cancellationToken);
        using var request = Request(HttpMethod.Post, new Uri(queue, pushUrl is null ? app : $"{app}?fal_webhook={Uri.EscapeDataString(pushUrl.ToString())}"));
        request.Content = JsonContent.Create(InputTemplate.Fill(input, InputTemplate.Values(image, job)));
        var (status, answer) = await SendAsync(request, "submit", cancellationToken);
        if (status is not HttpStatusCode.OK and not HttpStatusCode.Accepted)
        {
            throw Refused("submit", status, answer);
        }

        return answer?["request_id"]?.GetValue<string>() is { Length: > 0 } id ? id : throw http.Malformed("submit", "no request_id");
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
        var id = Uri.EscapeDataString(remoteJobId);
        for (var poll = 0; ; poll++)
        {
            var pushed = pushes.Next(remoteJobId);
            using var request = Request(HttpMethod.Get, new Uri(queue, $"{RequestsPath}/{id}/status?logs=1")).Idempotent();
            var (status, answer) = await SendAsync(request, "status", cancellationToken);
            if (status is not HttpStatusCode.OK and not HttpStatusCode.Accepted)
            {
                throw Refused("status", status, answer);
            }

            switch (answer?["status"]?.GetValue<string>())
            {
                case "COMPLETED" or "FAILED" or "CANCELED":
                    // The result says how it ended: the output, or the error with its detail.
                    return new ProviderOutput(await ResultAsync(id, cancellationToken));
                case "IN_QUEUE":
                    // Waiting in line: a sliver of progress that grows as the line shortens.
                    progress.Report(0.05 / (1 + (answer["queue_position"]?.GetValue<int>() ?? 0)));
                    break;
                case "IN_PROGRESS":
                    progress.Report(LogProgress(answer["logs"] as JsonArray) ?? 0.1);
                    break;
                case var other:
                    throw http.Malformed("status", $"status '{other}'");
            }

            await ProviderPushes.DelayAsync(pushed, ProviderPolling.Delay(poll, pushUrl is not null), cancellationToken);
        }
    }

    /// <summary>fal's completion webhook: its request id once a published key's signature checks out.</summary>
    public async Task<string?> ReadPushAsync(IReadOnlyDictionary<string, string> headers, byte[] body, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var keys = await WebhookKeys.CurrentAsync(cancellationToken);
        if (FalWebhookCheck.SignedRequestId(keys, headers, body, now) is { } id)
        {
            return id;
        }

        // fal may have rotated its keys: read them again (not more often than every 30 s) before refusing.
        return await WebhookKeys.AfterFailureAsync(keys, cancellationToken) is { } renewed ? FalWebhookCheck.SignedRequestId(renewed, headers, body, now) : null;
    }

    // Kept a day; one instance per provider (per model), made once.
    private PublishedKeys<IReadOnlyList<byte[]>> WebhookKeys =>
        LazyInitializer.EnsureInitialized(ref _webhookKeys, () => new PublishedKeys<IReadOnlyList<byte[]>>(ReadWebhookKeysAsync, TimeSpan.FromHours(24), TimeProvider.System));

    private async Task<IReadOnlyList<byte[]>> ReadWebhookKeysAsync(CancellationToken cancellationToken)
    {
        // Published keys: no credential goes with the request.
        using var request = new HttpRequestMessage(HttpMethod.Get, webhookKeys).Idempotent();
        var (status, answer) = await SendAsync(request, "webhook keys", cancellationToken);
        var keys = status == HttpStatusCode.OK ? FalWebhookCheck.Keys(answer) : [];
        return keys.Count > 0 ? keys : throw http.Malformed("webhook keys", $"no Ed25519 key at {webhookKeys} (HTTP {(int)status})");
    }

    /// <summary>The provider keeps a finished job's record and output for its own time; nothing to do.</summary>
    public Task ForgetAsync(string remoteJobId, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task CancelAsync(string remoteJobId, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Put, new Uri(queue, $"{RequestsPath}/{Uri.EscapeDataString(remoteJobId)}/cancel"));
        await SendAsync(request, "cancel", cancellationToken);
    }

    public async Task<ModelAvailability> CheckAsync(CancellationToken cancellationToken)
    {
        if (apiKey is null)
        {
            return new ModelAvailability(false, "no ApiKey or ApiKeyFile (or the file cannot be read)");
        }

        // The queue has no account call: asking about a request that does not exist proves the key (401/403 if not).
        try
        {
            using var request = Request(HttpMethod.Get, new Uri(queue, $"{RequestsPath}/00000000-0000-0000-0000-000000000000/status")).Idempotent();
            var (status, answer) = await SendAsync(request, "check", cancellationToken);
            if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                return new ModelAvailability(false, $"fal refused the key: {Detail(answer)}");
            }

            if ((int)status >= 500)
            {
                return new ModelAvailability(false, $"fal answered HTTP {(int)status}");
            }
        }
        catch (VideoGenerationException e)
        {
            return new ModelAvailability(false, e.Detail);
        }

        return await InputPreflight.CheckAsync(() => SchemaAsync(cancellationToken), "the endpoint's schema", app, input, lengths);
    }

    // The endpoint's queue OpenAPI: the POST of /{app} names the input component.
    private async Task<Json.Schema.JsonSchema> SchemaAsync(CancellationToken cancellationToken)
    {
        if (_schema is { } cached && Now - cached.At < InputPreflight.SchemaLifetime)
        {
            return cached.Schema;
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(schemas, $"api/openapi/queue/openapi.json?endpoint_id={app}")).Idempotent();
        var (status, document) = await SendAsync(request, "openapi", cancellationToken);
        if (status != HttpStatusCode.OK || document is null)
        {
            throw Refused("openapi", status, document);
        }

        var component = document["paths"]?[$"/{app}"]?["post"]?["requestBody"]?["content"]?["application/json"]?["schema"]?["$ref"]?.GetValue<string>()
            ?? throw http.Malformed("openapi", $"no input schema for POST /{app}");
        var schema = InputPreflight.FromOpenApi(document, component);
        _schema = (schema, Now);
        return schema;
    }

    private async Task<Uri> ResultAsync(string id, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, new Uri(queue, $"{RequestsPath}/{id}")).Idempotent();
        var (status, answer) = await SendAsync(request, "result", cancellationToken);
        if (status != HttpStatusCode.OK)
        {
            // A request that ran and failed answers its error here: validation (422), the app's own failure, a filter.
            var detail = Detail(answer);
            var filtered = ContentFilterPattern().IsMatch(detail);
            throw new VideoGenerationException(filtered ? VideoFailure.ContentFiltered : VideoFailure.ProviderFailed,
                filtered ? "the provider's safety filter refused this image or prompt" : "the video provider could not make this video",
                $"fal {app} request {id}: HTTP {(int)status}: {detail}", transient: (int)status >= 500 && !filtered);
        }

        // Video apps answer {"video": {"url"}}; some {"videos": [{"url"}]}; the first URL found is the output.
        var url = answer?["video"]?["url"]?.GetValue<string>() ?? answer?["videos"]?[0]?["url"]?.GetValue<string>();
        if (answer?["has_nsfw_concepts"] is JsonArray flags && flags.Any(f => f?.GetValue<bool>() == true))
        {
            throw new VideoGenerationException(VideoFailure.ContentFiltered, "the provider's safety filter refused this image or prompt", $"fal {app} request {id}: has_nsfw_concepts");
        }

        return Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri : throw http.Malformed("result", "no video url");
    }

    private async Task<string> UploadAsync(ProviderJob job, CancellationToken cancellationToken)
    {
        using var initiate = Request(HttpMethod.Post, new Uri(storage, "storage/upload/initiate?storage_type=fal-cdn-v3"));
        initiate.Content = JsonContent.Create(new JsonObject { ["content_type"] = job.MediaType, ["file_name"] = $"satsmotion.{job.MediaType.Split('/')[1]}" });
        var (status, answer) = await SendAsync(initiate, "upload initiate", cancellationToken);
        if (status != HttpStatusCode.OK)
        {
            throw Refused("upload initiate", status, answer);
        }

        var uploadUrl = answer?["upload_url"]?.GetValue<string>() ?? throw http.Malformed("upload initiate", "no upload_url");
        var fileUrl = answer["file_url"]?.GetValue<string>() ?? throw http.Malformed("upload initiate", "no file_url");
        using var put = new HttpRequestMessage(HttpMethod.Put, uploadUrl) { Content = new ByteArrayContent(job.Image) };
        put.Content.Headers.ContentType = new MediaTypeHeaderValue(job.MediaType);
        var (uploaded, failure) = await SendAsync(put, "upload", cancellationToken);
        return (int)uploaded is >= 200 and < 300 ? fileUrl : throw Refused("upload", uploaded, failure);
    }

    private HttpRequestMessage Request(HttpMethod method, Uri url)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Key", apiKey);
        return request;
    }

    private async Task<(HttpStatusCode Status, JsonNode? Answer)> SendAsync(HttpRequestMessage request, string call, CancellationToken cancellationToken)
    {
        var reply = await http.SendAsync(request, call, cancellationToken);
        return (reply.Status, reply.Json);
    }

    private VideoGenerationException Refused(string call, HttpStatusCode status, JsonNode? answer) =>
        new(VideoFailure.ProviderFailed, "the video provider refused the job", $"fal {app} {call}: HTTP {(int)status}: {Detail(answer)}",
            transient: status is HttpStatusCode.TooManyRequests || (int)status >= 500);

    // FastAPI-style errors: {"detail": "text"} or {"detail": [{"loc", "msg", "type"}]}.
    private static string Detail(JsonNode? answer) => answer?["detail"] switch
    {
        JsonArray list => string.Join("; ", list.Select(d => $"{d?["type"]}: {d?["msg"]} ({d?["loc"]?.ToJsonString()})")),
        JsonNode detail => detail.ToString(),
        null => answer?["error"]?.ToString() ?? "(no detail)",
    };

    private static double? LogProgress(JsonArray? logs) =>
        logs?.Select(l => ProgressPattern().Match(l?["message"]?.ToString() ?? "")).LastOrDefault(m => m.Success) is { } match
            ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) / 100
            : null;

    [GeneratedRegex(@"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")]
    private static partial Regex AppPattern();

    [GeneratedRegex(@"content_policy|content policy|NSFW|flagged|safety", RegexOptions.IgnoreCase)]
    private static partial Regex ContentFilterPattern();

    [GeneratedRegex(@"(\d{1,3})%")]
    private static partial Regex ProgressPattern();
}
