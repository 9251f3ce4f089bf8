using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace SatsMotion.Backends.Tests.Video.Replicate;

/// <summary>
/// Stands in for Replicate's HTTP API as its reference documents it (replicate.com/docs/reference/http): POST
/// /v1/models/{owner}/{name}/predictions and POST /v1/predictions (with "version") answer 201 with a prediction
/// {id, model, version, input, logs, output, error, status, created_at, urls}; GET /v1/predictions/{id};
/// POST /v1/predictions/{id}/cancel; POST /v1/files (multipart "content") → {id, urls: {get}}; GET /v1/account.
/// Bearer token; errors are problem details {title, detail, status} (the RFC 7807 shape replicate-python's
/// ReplicateError reads). Status moves starting → processing → succeeded | failed | canceled; a safety refusal is a
/// failed prediction whose error says NSFW. For a model whose input schema is kept in Video/Schemas/replicate, GET
/// /v1/models/{owner}/{name} (and .../versions/{id}, the model's one version <see cref="VersionOf"/>) serves it as the
/// version's openapi_schema, and a create whose input breaks it, on the model's endpoint or for its pinned version,
/// is refused with 422 as Replicate refuses it (see <see cref="Refusal"/>).
/// The output lasts what the input asks (duration, or num_frames at frames_per_second).
/// </summary>
public sealed class FakeReplicate : FakeVideoProvider
{
    public const string Token = "r8_fake_token_0123456789abcdef";

    /// <summary>The account's webhook signing secret (GET /v1/webhooks/default/secret).</summary>
    public static readonly string WebhookSecret = "whsec_" + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("fake replicate webhook secret 32b"));

    /// <summary>Every create's "webhook" and "webhook_events_filter".</summary>
    public List<(string Url, string? Filter)> Webhooks { get; } = [];

    public ConcurrentDictionary<string, JsonObject> Predictions { get; } = new();

    public List<JsonNode> Inputs { get; } = [];

    public int Uploads { get; private set; }

    /// <summary>Every Prefer header a create came with (none is wanted: the create's answer is only its id).</summary>
    public List<string> PreferHeaders { get; } = [];

    /// <summary>The server's model list: the local motion model (id 1) and a 3 s model "remote" (id 7) run by this fake.</summary>
    public JsonArray MotionAndRemoteModels() => new(
        new JsonObject { ["Id"] = 1, ["Slug"] = "motion", ["Backend"] = "motion" },
        new JsonObject
        {
            ["Id"] = 7,
            ["Slug"] = "remote",
            ["Backend"] = "replicate",
            ["Endpoint"] = Address.ToString(),
            ["ApiKey"] = Token,
            ["ProviderModel"] = "owner/model",
            ["Durations"] = new JsonArray(3),
            ["Fps"] = 16,
        });

    protected override void Map(WebApplication app)
    {
        app.MapPost("/v1/models/{owner}/{name}/predictions", (string owner, string name, HttpContext context) => CreateAsync(context, $"{owner}/{name}", null));
        app.MapPost("/v1/predictions", async (HttpContext context) =>
        {
            var body = (await context.Request.ReadFromJsonAsync<JsonNode>())!;
            return await CreateAsync(context, null, body);
        });
        app.MapGet("/v1/predictions/{id}", (string id, HttpContext context) =>
            Unauthorized(context) ?? (Predictions.TryGetValue(id, out var prediction) ? Answer(prediction) : Problem(404, "Not found", "The requested resource could not be found.")));
        app.MapPost("/v1/predictions/{id}/cancel", (string id, HttpContext context) =>
        {
            if (Unauthorized(context) is { } refused)
            {
                return refused;
            }

            if (!Predictions.TryGetValue(id, out var prediction))
            {
                return Problem(404, "Not found", "The requested resource could not be found.");
            }

            prediction["status"] = "canceled";
            return Results.Json(prediction);
        });
        app.MapPost("/v1/files", async (HttpContext context) =>
        {
            if (Unauthorized(context) is { } refused)
            {
                return refused;
            }

            var form = await context.Request.ReadFormAsync();
            var file = form.Files["content"];
            if (file is null)
            {
                return Problem(400, "Bad request", "missing file in field 'content'");
            }

            Uploads++;
            var id = Guid.NewGuid().ToString("N");
            return Results.Json(new { id, name = file.FileName, content_type = file.ContentType, size = file.Length, urls = new { get = $"{Address}v1/files/{id}" } }, statusCode: 201);
        });
        app.MapGet("/v1/webhooks/default/secret", (HttpContext context) => Unauthorized(context) ?? Results.Json(new { key = WebhookSecret }));
        app.MapGet("/v1/account", (HttpContext context) => Unauthorized(context) ?? Results.Json(new { type = "user", username = "fake", name = "Fake Account" }));
        app.MapGet("/v1/models/{owner}/{name}", (string owner, string name, HttpContext context) => Unauthorized(context) ?? Unpublished()
            ?? (OpenApi($"{owner}/{name}") is { } schema
                ? Results.Json(new JsonObject
                {
                    ["url"] = $"https://replicate.com/{owner}/{name}",
                    ["owner"] = owner,
                    ["name"] = name,
                    ["visibility"] = "public",
                    ["latest_version"] = new JsonObject { ["id"] = VersionOf($"{owner}/{name}"), ["created_at"] = "2026-11-01T00:00:00Z", ["cog_version"] = "0.16.0", ["openapi_schema"] = schema },
                })
                : Problem(404, "Not found", "The requested resource could not be found.")));
        app.MapGet("/v1/models/{owner}/{name}/versions/{version}", (string owner, string name, string version, HttpContext context) => Unauthorized(context) ?? Unpublished()
            ?? (OpenApi($"{owner}/{name}") is { } schema && version == VersionOf($"{owner}/{name}")
                ? Results.Json(new JsonObject { ["id"] = version, ["created_at"] = "2026-11-01T00:00:00Z", ["cog_version"] = "0.16.0", ["openapi_schema"] = schema })
                : Problem(404, "Not found", "The requested resource could not be found.")));
    }

    private async Task<IResult> CreateAsync(HttpContext context, string? model, JsonNode? versionBody)
    {
        if (Unauthorized(context) is { } refused)
        {
            return refused;
        }

        var body = versionBody ?? (await context.Request.ReadFromJsonAsync<JsonNode>())!;
        if (body["input"] is not JsonObject input)
        {
            return Problem(422, "Input validation failed", "input is required", statusCode: 422);
        }

        lock (PreferHeaders)
        {
            if (Header(context, "Prefer") is { } prefer)
            {
                PreferHeaders.Add(prefer);
            }
        }

        var modelName = model ?? ModelOfVersion(body["version"]?.GetValue<string>());
        if (modelName is not null && OpenApi(modelName) is { } published && Refusal(Violations(published, "#/components/schemas/Input", input)) is { } refusal)
        {
            return refusal;
        }

        CountSubmission();
        lock (Inputs)
        {
            Inputs.Add(input.DeepClone());
        }

        var id = Guid.NewGuid().ToString("N")[..26];
        var prediction = new JsonObject
        {
            ["id"] = id,
            ["model"] = model ?? "owner/name",
            ["version"] = body["version"]?.GetValue<string>() ?? "dp-0123456789abcdef",
            ["input"] = input.DeepClone(),
            ["logs"] = "",
            ["output"] = null,
            ["error"] = null,
            ["status"] = "starting",
            ["created_at"] = DateTimeOffset.UtcNow.ToString("O"),
            ["urls"] = new JsonObject { ["get"] = $"{Address}v1/predictions/{id}", ["cancel"] = $"{Address}v1/predictions/{id}/cancel" },
        };
        Predictions[id] = prediction;
        if (body["webhook"]?.GetValue<string>() is { } webhook)
        {
            var filter = body["webhook_events_filter"]?.ToJsonString();
            lock (Webhooks)
            {
                Webhooks.Add((webhook, filter));
            }

            // "completed" is the event asked for: one POST of the finished prediction, signed (Standard Webhooks).
            PushWhenDone(DateTimeOffset.Parse(prediction["created_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture), () => Mode is ProviderMode.Hold or ProviderMode.Malformed ? null : SignedPush(webhook, Settle(prediction)));
        }

        return Results.Json(prediction, statusCode: 201);
    }

    /// <summary>The account's signed push for this fake's first prediction, claiming it succeeded (whatever it really is).</summary>
    public HttpRequestMessage SignedPushFor(string url)
    {
        var prediction = Predictions.Values.First().DeepClone().AsObject();
        prediction["status"] = "succeeded";
        prediction["output"] = OutputUrl(AskedSeconds(prediction["input"]!)).ToString();
        return SignedPush(url, prediction);
    }

    private static HttpRequestMessage SignedPush(string url, JsonObject prediction)
    {
        var body = prediction.ToJsonString();
        var id = "msg_" + Guid.NewGuid().ToString("N");
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("webhook-id", id);
        request.Headers.Add("webhook-timestamp", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", new StandardWebhooks.StandardWebhook(WebhookSecret).Sign(id, DateTimeOffset.UtcNow, body));
        return request;
    }

    // The finished prediction, by the mode (what a push carries).
    private JsonObject Settle(JsonObject prediction)
    {
        if (Mode is ProviderMode.Fail or ProviderMode.ContentFilter)
        {
            prediction["status"] = "failed";
            prediction["error"] = Mode == ProviderMode.Fail ? "CUDA out of memory; secret internal details of the predictor" : "NSFW content detected. Try running it again, or try a different prompt.";
        }
        else
        {
            prediction["status"] = "succeeded";
            prediction["output"] = OutputUrl(AskedSeconds(prediction["input"]!)).ToString();
        }

        return prediction;
    }

    // The prediction as it stands when looked at, by the mode.
    private IResult Answer(JsonObject prediction)
    {
        if (prediction["status"]!.GetValue<string>() == "canceled")
        {
            return Results.Json(prediction);
        }

        switch (Mode)
        {
            case ProviderMode.Hold:
                prediction["status"] = "processing";
                prediction["logs"] = "Generating video\n 45%|████▌     | 9/20 [00:09<00:11]\n";
                break;
            case ProviderMode.Fail:
                prediction["status"] = "failed";
                prediction["error"] = "CUDA out of memory; secret internal details of the predictor";
                break;
            case ProviderMode.ContentFilter:
                prediction["status"] = "failed";
                prediction["error"] = "NSFW content detected. Try running it again, or try a different prompt.";
                break;
            case ProviderMode.Malformed:
                return Results.Json(new { id = 42, status = 7, output = new { } });
            case ProviderMode.Normal when DateTimeOffset.Parse(prediction["created_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) + Latency > DateTimeOffset.UtcNow:
                prediction["status"] = "processing";
                break;
            default:
                prediction["status"] = "succeeded";
                prediction["output"] = OutputUrl(AskedSeconds(prediction["input"]!)).ToString();
                break;
        }

        return Results.Json(prediction);
    }

    /// <summary>The version id the fake gives a model it has a schema for: 64 hex digits, as Replicate's are, one per model.</summary>
    public static string VersionOf(string model) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(model)));

    // "version" is a bare version id (what a pinned owner/name:version sends) or owner/name:version: either names its model.
    private static string? ModelOfVersion(string? version) => version switch
    {
        null => null,
        _ when version.Contains('/', StringComparison.Ordinal) => version.Split(':')[0],
        _ => KnownModels().FirstOrDefault(m => VersionOf(m) == version),
    };

    // The models whose schema is kept (Video/Schemas/replicate/{owner}__{name}.json).
    private static IEnumerable<string> KnownModels() => Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "Video", "Schemas", "replicate"), "*.json")
        .Select(f => Path.GetFileNameWithoutExtension(f).Replace("__", "/", StringComparison.Ordinal));

    /// <summary>
    /// Replicate's refusal of an input that breaks the version's schema: 422, a problem details body (title, detail,
    /// status: what replicate-python's ReplicateError reads) with "invalid_fields" [{type, field, description}], the
    /// detail one "- field: description" line each. The wording is that of Replicate's own answers as quoted in public
    /// reports ("- input.seed: Invalid type. Expected: integer, given: null", "scheduler must be one of the
    /// following: …"), which are gojsonschema's default messages (locales.go): a property's errors under
    /// "input.{name}", a missing one under "input"; a value of the wrong type gets that error alone.
    /// </summary>
    private sealed record InvalidField(string Type, string Field, string Description);

    private static IResult? Refusal(IReadOnlyList<Violation> violations)
    {
        if (violations.Count == 0)
        {
            return null;
        }

        var fields = violations.GroupBy(v => v.Field)
            .SelectMany(g => g.Any(v => v.Keyword == "type") && g.Key.Length > 0 ? g.Where(v => v.Keyword == "type") : g)
            .Select(v => v.Keyword switch
            {
                "minimum" => new InvalidField("number_gte", $"input.{v.Field}", $"Must be greater than or equal to {v.Rule["minimum"]!.ToJsonString()}"),
                "maximum" => new InvalidField("number_lte", $"input.{v.Field}", $"Must be less than or equal to {v.Rule["maximum"]!.ToJsonString()}"),
                "enum" => new InvalidField("enum", $"input.{v.Field}", $"{v.Field} must be one of the following: {string.Join(", ", v.Rule["enum"]!.AsArray().Select(e => e!.ToJsonString()))}"),
                "type" => new InvalidField("invalid_type", $"input.{v.Field}", $"Invalid type. Expected: {v.Rule["type"]}, given: {JsonType(v.Value)}"),
                "required" => new InvalidField("required", "input", $"{v.Field} is required"),
                var other => new InvalidField(other, $"input.{v.Field}", $"Does not fit the schema ({other})"),
            }).ToList();
        return Results.Json(new JsonObject
        {
            ["title"] = "Input validation failed",
            ["detail"] = string.Concat(fields.Select(f => $"- {f.Field}: {f.Description}\n")),
            ["status"] = 422,
            ["invalid_fields"] = new JsonArray([.. fields.Select(f => (JsonNode)new JsonObject { ["type"] = f.Type, ["field"] = f.Field, ["description"] = f.Description })]),
        }, statusCode: 422);
    }

    private IResult? Unpublished() => SchemaUnavailable ? Problem(503, "Service Unavailable", "The service is temporarily unavailable.") : null;

    private JsonObject? OpenApi(string model)
    {
        var schema = PublishedSchema("replicate", model);
        schema?.Remove("x-source");
        return schema;
    }

    private static IResult? Unauthorized(HttpContext context) =>
        Header(context, "Authorization") == $"Bearer {Token}" ? null : Problem(401, "Unauthenticated", "You did not pass a valid authentication token");

    private static IResult Problem(int status, string title, string detail, int? statusCode = null) =>
        Results.Json(new { title, detail, status }, statusCode: statusCode ?? status);
}
