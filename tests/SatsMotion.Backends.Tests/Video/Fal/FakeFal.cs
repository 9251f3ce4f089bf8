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
/// .../cancel → 202 {status: CANCELLATION_REQUESTED}. Status, result and cancel drop an app id's sub-path.
/// "Authorization: Key …"; storage uploads through POST /storage/upload/initiate then PUT to the upload URL.
/// </summary>
public sealed class FakeFal : FakeVideoProvider
{
    public const string Key = "fal-key-id:fal-key-secret-0123456789";

    private readonly ConcurrentDictionary<string, int> _polls = new();

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
        app.MapGet("/{owner}/{app}/requests/{id}/status", (string owner, string app, string id, HttpContext context) =>
        {
            Record(context);
            return Unauthorized(context) ?? Status(id);
        });
        app.MapGet("/{owner}/{app}/requests/{id}", (string owner, string app, string id, HttpContext context) =>
        {
            Record(context);
            return Unauthorized(context) ?? Result(id);
        });
        app.MapPut("/{owner}/{app}/requests/{id}/cancel", (HttpContext context) =>
            Unauthorized(context) ?? Results.Json(new { status = "CANCELLATION_REQUESTED" }, statusCode: 202));
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

            CountSubmission();
            lock (Submitted)
            {
                Submitted.Add((app, input));
            }

            var id = Guid.NewGuid().ToString();
            var root = string.Join('/', app.Split('/').Take(2));
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
        _ => Results.Json(new { video = new { url = OutputUrl().ToString(), content_type = "video/mp4", file_name = "output.mp4", file_size = 123456 } }),
    };

    private static IResult? Unauthorized(HttpContext context) =>
        Header(context, "Authorization") == $"Key {Key}" ? null : Results.Json(new { detail = "Authentication is required to access this application." }, statusCode: 401);
}
