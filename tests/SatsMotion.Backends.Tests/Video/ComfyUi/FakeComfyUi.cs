using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace SatsMotion.Backends.Tests.Video.ComfyUi;

/// <summary>
/// Stands in for a ComfyUI server, following its HTTP and websocket API as server.py defines it: POST /upload/image
/// (multipart "image", "type", "overwrite") → {name, subfolder, type}; POST /prompt {prompt, client_id} →
/// {prompt_id, number, node_errors}, or 400 {error: {type, message, details, extra_info}, node_errors} for a workflow
/// that does not validate; GET /history/{prompt_id} → {} while queued or running, then {id: {prompt, outputs, status:
/// {status_str, completed, messages}}}; GET /view?filename&amp;subfolder&amp;type; GET /system_stats; POST /queue
/// {delete}; POST /interrupt; and /ws?clientId= sending {"type": "progress", "data": {value, max, prompt_id, node}}.
/// </summary>
public sealed class FakeComfyUi : FakeVideoProvider
{
    private readonly ConcurrentDictionary<string, bool> _uploads = new();

    public List<JsonObject> Prompts { get; } = [];

    public int Interrupts { get; private set; }

    protected override void Map(WebApplication app)
    {
        app.UseWebSockets();
        app.MapPost("/upload/image", async (HttpContext context) =>
        {
            var form = await context.Request.ReadFormAsync();
            var file = form.Files["image"];
            if (file is null)
            {
                return Results.StatusCode(400);
            }

            _uploads[file.FileName] = true;
            return Results.Json(new { name = file.FileName, subfolder = "", type = form["type"].ToString() is { Length: > 0 } type ? type : "input" });
        });
        app.MapPost("/prompt", async (HttpContext context) =>
        {
            var body = (await context.Request.ReadFromJsonAsync<JsonNode>())!;
            if (body["prompt"] is not JsonObject prompt || !prompt.All(node => node.Value?["class_type"] is not null && node.Value["inputs"] is JsonObject))
            {
                return Invalid("invalid_prompt", "Cannot execute because a node is missing the class_type property.");
            }

            var load = prompt.Select(n => n.Value!).FirstOrDefault(n => n["class_type"]!.GetValue<string>() == "LoadImage");
            if (load?["inputs"]?["image"]?.GetValue<string>() is not { } image || !_uploads.ContainsKey(image))
            {
                return Invalid("prompt_outputs_failed_validation", "Prompt outputs failed validation");
            }

            CountSubmission();
            lock (Prompts)
            {
                Prompts.Add(prompt);
            }

            return Results.Json(new { prompt_id = Guid.NewGuid().ToString(), number = Submissions, node_errors = new { } });
        });
        app.MapGet("/history/{id}", (string id) => Results.Json(History(id)));
        app.MapGet("/view", async (string filename, string? subfolder, string? type) => filename switch
        {
            "video.mp4" => Results.Bytes(await new HttpClient().GetByteArrayAsync(new Uri(Address, "outputs/video.mp4")), "video/mp4"),
            "still.mp4" => Results.Bytes(await new HttpClient().GetByteArrayAsync(new Uri(Address, "outputs/still.png")), "video/mp4"),
            _ => Results.NotFound(),
        });
        app.MapGet("/system_stats", () => Results.Json(new
        {
            system = new { os = "posix", comfyui_version = "0.3.40", python_version = "3.12.3" },
            devices = new[] { new { name = "cuda:0 NVIDIA RTX 4090", type = "cuda", index = 0, vram_total = 25_757_220_864L, vram_free = 24_000_000_000L } },
        }));
        app.MapPost("/queue", () => Results.Ok());
        app.MapPost("/interrupt", () =>
        {
            Interrupts++;
            return Results.Ok();
        });
        app.Map("/ws", async (HttpContext context) =>
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            while (socket.State == WebSocketState.Open && !context.RequestAborted.IsCancellationRequested)
            {
                foreach (var prompt in LatestPromptIds())
                {
                    var message = new JsonObject { ["type"] = "progress", ["data"] = new JsonObject { ["value"] = 9, ["max"] = 20, ["prompt_id"] = prompt, ["node"] = "3" } };
                    await socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, context.RequestAborted);
                }

                await Task.Delay(200, context.RequestAborted);
            }
        });
    }

    private readonly ConcurrentDictionary<string, bool> _ids = new();

    private IEnumerable<string> LatestPromptIds() => _ids.Keys;

    private JsonObject History(string id)
    {
        _ids[id] = true;
        JsonObject Entry(JsonObject outputs, string status, JsonArray messages) => new()
        {
            [id] = new JsonObject
            {
                ["prompt"] = new JsonArray(1, id, new JsonObject(), new JsonObject(), new JsonArray("9")),
                ["outputs"] = outputs,
                ["status"] = new JsonObject { ["status_str"] = status, ["completed"] = status == "success", ["messages"] = messages },
            },
        };
        JsonObject Video(string file) => new() { ["9"] = new JsonObject { ["gifs"] = new JsonArray(new JsonObject { ["filename"] = file, ["subfolder"] = "", ["type"] = "output", ["format"] = "video/h264-mp4" }) } };
        JsonArray Error(string message) => new(new JsonArray("execution_error", new JsonObject
        {
            ["prompt_id"] = id,
            ["node_id"] = "3",
            ["node_type"] = "KSampler",
            ["exception_message"] = message,
            ["exception_type"] = "RuntimeError",
            ["traceback"] = new JsonArray(),
        }));
        return Mode switch
        {
            ProviderMode.Hold => [],
            ProviderMode.Fail => Entry([], "error", Error("CUDA out of memory. Tried to allocate 2.00 GiB (secret path /home/op/models)")),
            ProviderMode.ContentFilter => Entry([], "error", Error("NSFW content detected by the safety checker")),
            ProviderMode.Malformed => new JsonObject { [id] = new JsonObject { ["outputs"] = 5, ["status"] = "done" } },
            ProviderMode.OutputMissing => Entry(Video("gone.mp4"), "success", []),
            ProviderMode.OutputNotVideo => Entry(Video("still.mp4"), "success", []),
            _ => Entry(Video("video.mp4"), "success", []),
        };
    }

    private static IResult Invalid(string type, string message) => Results.Json(new
    {
        error = new { type, message, details = "", extra_info = new { } },
        node_errors = new { },
    }, statusCode: 400);
}
