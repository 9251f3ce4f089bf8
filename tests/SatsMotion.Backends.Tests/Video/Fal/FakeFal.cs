using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace SatsMotion.Backends.Tests.Video.Fal;

/// <summary>
/// Stands in for fal.ai's queue API as docs.fal.ai describes it ("Queue"): POST /{owner}/{app}[/path] submits →
/// {request_id, response_url, status_url, cancel_url, queue_position}; GET /{owner}/{app}/requests/{id}/status →
/// {status: IN_QUEUE (queue_position) | IN_PROGRESS (logs) | COMPLETED} (202 until completed); GET
/// /{owner}/{app}/requests/{id} → the app's output {"video": {url, content_type, file_name, file_size}}, or its error
/// as {"detail": ...} (a list of {loc, msg, type} for validation and content-policy refusals); PUT
/// .../cancel → 202 {status: CANCELLATION_REQUESTED}. Status, result and cancel live under [namespace/]owner/alias
/// as fal-js libs/client/src/utils.ts parses an app id (namespaces "workflows" and "comfy"): elsewhere a request is
/// unknown (404). "Authorization: Key …"; storage uploads through POST /storage/upload/initiate then PUT to the
/// upload URL. For an endpoint whose OpenAPI is kept in Video/Schemas/fal, GET /api/openapi/queue/openapi.json
/// ?endpoint_id= serves it, and a submission that breaks its input schema is refused with 422 {"detail": [{loc,
/// msg, type, url, ctx, input}]} (see <see cref="Refusal"/>). The output lasts what the input asks (duration, or
/// num_frames at frames_per_second).
/// A submission with ?fal_webhook= gets fal's completion POST once done ({request_id, gateway_request_id, status,
/// payload}), signed as docs.fal.ai's "Verifying your webhook" describes: X-Fal-Webhook-Request-Id, -User-Id,
/// -Timestamp and -Signature (hex ED25519 over "request id\nuser id\ntimestamp\nhex sha256(body)"), the key in a JWKS.
/// </summary>
public sealed class FakeFal : FakeVideoProvider
{
    public const string Key = "fal-key-id:fal-key-secret-0123456789";

    // fal's webhook signing key; its public half is served as a JWKS at /.well-known/jwks.json.
    private readonly byte[] _signingKey = new byte[Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.SecretKeySize];
    private readonly byte[] _publicKey = new byte[Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.PublicKeySize];

    public FakeFal()
    {
        System.Security.Cryptography.RandomNumberGenerator.Fill(_signingKey);
        Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.GeneratePublicKey(_signingKey, 0, _publicKey, 0);
    }

    /// <summary>Every submission's fal_webhook.</summary>
    public List<string> Webhooks { get; } = [];

    private readonly ConcurrentDictionary<string, int> _polls = new();

    // Each request's [namespace/]owner/alias and the length its input asks.
    private readonly ConcurrentDictionary<string, (string Root, double Seconds, DateTimeOffset CreatedAt)> _requests = new();

    public List<(string App, JsonObject Input)> Submitted { get; } = [];

    public List<string> RequestPaths { get; } = [];

    public int Uploads { get; private set; }

    protected override void Map(WebApplication app)
    {
        app.MapPost("/storage/upload/initiate", (HttpContext context) =>
        {
            if (Unauthorized(context) is { } refused)
            {
                return refused;
            }

            var id = Guid.NewGuid().ToString("N");
            return Results.Json(new { upload_url = $"{Address}uploads/{id}", file_url = $"{Address}files/{id}" });
        });
        app.MapPut("/uploads/{id}", () =>
        {
            Uploads++;
            return Results.Ok();
        });
        app.MapGet("/.well-known/jwks.json", () => Results.Json(new
        {
            keys = new[] { new { kty = "OKP", crv = "Ed25519", x = Convert.ToBase64String(_publicKey).TrimEnd('=').Replace('+', '-').Replace('/', '_'), kid = "fake-1", use = "sig", alg = "EdDSA" } },
        }));
        app.MapGet("/api/openapi/queue/openapi.json", (string endpoint_id) => SchemaUnavailable
            ? Results.Json(new { detail = "Service temporarily unavailable" }, statusCode: 503)
            : OpenApi(endpoint_id) is { } document
                ? Results.Json(document)
                : Results.Json(new { detail = $"Endpoint {endpoint_id} not found" }, statusCode: 404));
        foreach (var root in new[] { "/{owner}/{app}", "/{ns}/{owner}/{app}" })
        {
            app.MapGet(root + "/requests/{id}/status", (string id, HttpContext context) =>
            {
                Record(context);
                return Unauthorized(context) ?? Unknown(context, id) ?? Status(id);
            });
            app.MapGet(root + "/requests/{id}", (string id, HttpContext context) =>
            {
                Record(context);
                return Unauthorized(context) ?? Unknown(context, id) ?? Result(id);
            });
            app.MapPut(root + "/requests/{id}/cancel", (string id, HttpContext context) =>
                Unauthorized(context) ?? Unknown(context, id) ?? Results.Json(new { status = "CANCELLATION_REQUESTED" }, statusCode: 202));
        }
        app.MapPost("/{**app}", async (string app, HttpContext context) =>
        {
            if (Unauthorized(context) is { } refused)
            {
                return refused;
            }

            if (JsonNode.Parse(await new StreamReader(context.Request.Body).ReadToEndAsync()) is not JsonObject input)
            {
                return Results.Json(new { detail = new[] { new { loc = new[] { "body" }, msg = "Input should be a valid dictionary", type = "dict_type" } } }, statusCode: 422);
            }

            if (OpenApi(app) is { } document
                && Refusal(Violations(document, document["paths"]![$"/{app}"]!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>(), input), input) is { } refusal)
            {
                return refusal;
            }

            CountSubmission();
            lock (Submitted)
            {
                Submitted.Add((app, input));
            }

            var id = Guid.NewGuid().ToString();
            var parts = app.Split('/');
            var root = string.Join('/', parts.Take(parts[0] is "workflows" or "comfy" ? 3 : 2));
            var createdAt = DateTimeOffset.UtcNow;
            _requests[id] = (root, AskedSeconds(input), createdAt);
            if (context.Request.Query["fal_webhook"].ToString() is { Length: > 0 } webhook)
            {
                lock (Webhooks)
                {
                    Webhooks.Add(webhook);
                }

                PushWhenDone(createdAt, () => Mode is ProviderMode.Hold or ProviderMode.Malformed ? null : SignedPush(webhook, id, _signingKey));
            }

            return Results.Json(new
            {
                request_id = id,
                response_url = $"{Address}{root}/requests/{id}",
                status_url = $"{Address}{root}/requests/{id}/status",
                cancel_url = $"{Address}{root}/requests/{id}/cancel",
                queue_position = 0,
            });
        });
    }

    /// <summary>fal's completion POST: {request_id, gateway_request_id, status: OK | ERROR, payload}, signed with <paramref name="key"/>.</summary>
    public HttpRequestMessage SignedPush(string url, string requestId, byte[] key, long? timestamp = null)
    {
        var ok = Mode is not (ProviderMode.Fail or ProviderMode.ContentFilter);
        var body = System.Text.Encoding.UTF8.GetBytes(new JsonObject
        {
            ["request_id"] = requestId,
            ["gateway_request_id"] = requestId,
            ["status"] = ok ? "OK" : "ERROR",
            ["error"] = ok ? null : "Invalid status code: 422",
            ["payload"] = ok ? new JsonObject { ["video"] = new JsonObject { ["url"] = OutputUrl().ToString() } } : new JsonObject { ["detail"] = "failed" },
        }.ToJsonString());
        var time = (timestamp ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds()).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var message = System.Text.Encoding.UTF8.GetBytes($"{requestId}\nfake-user\n{time}\n{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(body))}");
        var signature = new byte[Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.SignatureSize];
        Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.Sign(key, 0, message, 0, message.Length, signature, 0);
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-Fal-Webhook-Request-Id", requestId);
        request.Headers.Add("X-Fal-Webhook-User-Id", "fake-user");
        request.Headers.Add("X-Fal-Webhook-Timestamp", time);
        request.Headers.Add("X-Fal-Webhook-Signature", Convert.ToHexStringLower(signature));
        return request;
    }

    /// <summary>A push of a request this fake knows, signed by its own key (or another's).</summary>
    public HttpRequestMessage SignedPushFor(string url, byte[]? otherKey = null, long? timestamp = null) => SignedPush(url, _requests.Keys.First(), otherKey ?? _signingKey, timestamp);

    private void Record(HttpContext context)
    {
        lock (RequestPaths)
        {
            RequestPaths.Add(context.Request.Path);
        }
    }

    private IResult Status(string id)
    {
        var polls = _polls.AddOrUpdate(id, 1, (_, n) => n + 1);
        return Mode switch
        {
            ProviderMode.Hold when polls == 1 => Results.Json(new { status = "IN_QUEUE", queue_position = 2, response_url = "x" }, statusCode: 202),
            ProviderMode.Hold => Results.Json(new { status = "IN_PROGRESS", logs = new[] { new { message = "Generating: 45% done", timestamp = "2026-11-24T10:00:00Z" } } }, statusCode: 202),
            ProviderMode.Malformed => Results.Json(new { status = 5 }),
            ProviderMode.Normal when _requests.TryGetValue(id, out var request) && request.CreatedAt + Latency > DateTimeOffset.UtcNow =>
                Results.Json(new { status = "IN_PROGRESS", logs = Array.Empty<object>() }, statusCode: 202),
            _ => Results.Json(new { status = "COMPLETED", logs = Array.Empty<object>(), metrics = new { inference_time = 41.2 } }),
        };
    }

    private IResult Result(string id) => Mode switch
    {
        ProviderMode.Fail => Results.Json(new { detail = new[] { new { loc = new[] { "body", "image_url" }, msg = "Failed to generate the video (secret internal id 42)", type = "generation_error" } } }, statusCode: 422),
        ProviderMode.ContentFilter => Results.Json(new
        {
            detail = new[] { new { loc = new[] { "body", "prompt" }, msg = "The content could not be processed because it contained material flagged by a content checker.", type = "content_policy_violation" } },
        }, statusCode: 422),
        _ => Results.Json(new { video = new { url = OutputUrl(_requests.TryGetValue(id, out var request) ? request.Seconds : 3).ToString(), content_type = "video/mp4", file_name = "output.mp4", file_size = 123456 } }),
    };

    // A request is found only under the root its app id has (fal's gateway routes by owner/alias).
    private IResult? Unknown(HttpContext context, string id) =>
        id == "00000000-0000-0000-0000-000000000000" || (_requests.TryGetValue(id, out var request) && context.Request.Path.Value!.StartsWith($"/{request.Root}/requests/", StringComparison.Ordinal))
            ? null
            : Results.Json(new { detail = "Request not found" }, statusCode: 404);

    /// <summary>
    /// fal's refusal of an input that breaks the endpoint's schema: 422 {"detail": [{loc, msg, type, url, ctx?, input}]}
    /// as fal's error reference (docs.fal.ai/errors) documents it and fal-js reads it (libs/client/src/response.ts
    /// ValidationError at 381105e1: detail entries {loc, msg, type}, a field's errors found by the last item of loc).
    /// Out of range: greater_than_equal / less_than_equal with ctx ge / le; not one of the allowed values: one_of with
    /// ctx expected, "Input should be 'a' or 'b'"; missing and wrong types as pydantic names them (missing, "Field
    /// required"; string_type, "Input should be a valid string", …). A field gets one error, the first of these.
    /// </summary>
    private static IResult? Refusal(IReadOnlyList<Violation> violations, JsonObject input)
    {
        if (violations.Count == 0)
        {
            return null;
        }

        static string Repr(JsonNode? value) => value?.GetValueKind() == System.Text.Json.JsonValueKind.String ? $"'{value}'" : value?.ToJsonString() ?? "None";
        static string OneOf(JsonArray values) => values.Count == 1 ? Repr(values[0])
            : $"{string.Join(", ", values.Take(values.Count - 1).Select(Repr))} or {Repr(values[^1])}";
        var errors = violations.GroupBy(v => v.Field).Select(g => g.FirstOrDefault(v => v.Keyword == "enum") ?? g.FirstOrDefault(v => v.Keyword == "type") ?? g.First()).Select(v =>
        {
            var (type, msg, ctx) = v.Keyword switch
            {
                "minimum" => ("greater_than_equal", $"Input should be greater than or equal to {v.Rule["minimum"]!.ToJsonString()}", new JsonObject { ["ge"] = v.Rule["minimum"]!.DeepClone() }),
                "maximum" => ("less_than_equal", $"Input should be less than or equal to {v.Rule["maximum"]!.ToJsonString()}", new JsonObject { ["le"] = v.Rule["maximum"]!.DeepClone() }),
                "enum" => ("one_of", $"Input should be {OneOf(v.Rule["enum"]!.AsArray())}", new JsonObject { ["expected"] = v.Rule["enum"]!.DeepClone() }),
                "required" => ("missing", "Field required", null),
                "type" when v.Rule["type"]?.ToString() is { } wanted => wanted switch
                {
                    "integer" => ("int_type", "Input should be a valid integer", null),
                    "number" => ("float_type", "Input should be a valid number", null),
                    "boolean" => ("bool_type", "Input should be a valid boolean", null),
                    _ => ($"{wanted}_type", $"Input should be a valid {wanted}", (JsonObject?)null),
                },
                var other => ("value_error", $"Value error, does not fit the schema ({other})", null),
            };
            var error = new JsonObject { ["loc"] = new JsonArray("body", v.Field), ["msg"] = msg, ["type"] = type, ["url"] = $"https://docs.fal.ai/errors/#{type}" };
            if (ctx is not null)
            {
                error["ctx"] = ctx;
            }

            // A missing field's input is the body it is missing from (pydantic's way).
            error["input"] = v.Keyword == "required" ? input.DeepClone() : v.Value?.DeepClone();
            return (JsonNode)error;
        });
        return Results.Json(new JsonObject { ["detail"] = new JsonArray([.. errors]) }, statusCode: 422);
    }

    private JsonObject? OpenApi(string app)
    {
        var document = PublishedSchema("fal", app);
        document?.Remove("x-source");
        return document;
    }

    private static IResult? Unauthorized(HttpContext context) =>
        Header(context, "Authorization") == $"Key {Key}" ? null : Results.Json(new { detail = "Authentication is required to access this application." }, statusCode: 401);
}
