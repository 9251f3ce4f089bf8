using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SatsMotion.Video.ComfyUi;

namespace SatsMotion.Backends.Tests.Video.ComfyUi;

/// <summary>
/// Stands in for a ComfyUI server as server.py and execution.py of Comfy-Org/ComfyUI a125cd84 (0.3.64) serve it:
/// POST /upload/image (multipart "image", "type", "overwrite") → {name, subfolder, type}; GET /object_info (the node
/// definitions kept in Video/Schemas/comfyui, LoadImage listing the uploaded files); POST /prompt {prompt, client_id,
/// prompt_id?} → {prompt_id, number, node_errors}, validated as validate_prompt does (its 400 {error, node_errors},
/// or 200 with the outputs that failed dropped), a client's prompt_id taken as it is; GET /queue {queue_running,
/// queue_pending} of [number, prompt_id, prompt, extra_data, outputs]; POST /queue {delete}; POST /interrupt
/// {prompt_id} stopping only that prompt if it runs (or, as before 0.3.56, whatever runs); GET /history/{id} → {}
/// while queued or running, then {id: {prompt, outputs, status: {status_str, completed, messages}}}; POST /history
/// {delete}; GET /view; GET /system_stats; /ws?clientId= sending each prompt's progress and its end (execution_success,
/// _error or _interrupted, then "executing" with node null) to the socket of its client id, the latest one of an id
/// only. SaveVideo reports its file under "images" with "animated": [true], VHS_VideoCombine under "gifs". One prompt
/// runs at a time, ending <see cref="FakeVideoProvider.Latency"/> after it was queued whether or not anyone looks:
/// while <see cref="ProviderMode.Hold"/> the oldest runs and the others wait. With <see cref="FakeVideoProvider.DropPushes"/>
/// the end messages are lost. With <see cref="Token"/> set every route wants it as a bearer token, as a proxy in front does.
/// </summary>
public sealed class FakeComfyUi : FakeVideoProvider
{
    private readonly ConcurrentDictionary<string, bool> _uploads = new();
    // The messages waiting for the latest socket of each client id.
    private readonly ConcurrentDictionary<string, Channel<string>> _sockets = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _ended = new();
    private readonly List<Queued> _queue = [];
    private readonly ConcurrentDictionary<string, JsonObject> _history = new();
    private int _number;

    private sealed record Queued(int Number, string PromptId, JsonObject Prompt, string? ClientId, DateTimeOffset Submitted);

    /// <summary>The bearer token a proxy in front of this server wants on every request (none: ComfyUI's own no-auth).</summary>
    public string? Token { get; set; }

    /// <summary>Answer /interrupt as servers before 0.3.56 do: stop whatever runs, whatever prompt_id the body names.</summary>
    public bool InterruptIgnoresPromptId { get; set; }

    public List<JsonObject> Prompts { get; } = [];

    /// <summary>The prompts stopped by /interrupt.</summary>
    public List<string> Interrupted { get; } = [];

    public List<string> Deleted { get; } = [];

    public List<string> Unauthorized { get; } = [];

    /// <summary>Prompts whose history entry is still kept.</summary>
    public int HistoryCount => _history.Count;

    /// <summary>When a prompt ended (its history written), or null while it has not.</summary>
    public DateTimeOffset? EndedAt(string promptId) => _ended.TryGetValue(promptId, out var at) ? at : null;

    /// <summary>
    /// Sends a message to every socket, as server.py send_json does with no sid: "status", and the
    /// execution_interrupted of a prompt queued without a client id.
    /// </summary>
    public void Broadcast(JsonObject message)
    {
        foreach (var outbox in _sockets.Values)
        {
            outbox.Writer.TryWrite(message.ToJsonString());
        }
    }

    /// <summary>Queues a prompt of another client, as another customer's job on a shared GPU server.</summary>
    public string QueueForeignPrompt()
    {
        var id = Guid.NewGuid().ToString();
        lock (_queue)
        {
            _queue.Add(new Queued(++_number, id, new JsonObject(), "someone-else", DateTimeOffset.UtcNow));
        }

        return id;
    }

    protected override void Map(WebApplication app)
    {
        // Prompts end in their own time, not at the next look.
        app.Lifetime.ApplicationStarted.Register(() => _ = RunAsync(app.Lifetime.ApplicationStopping));
        app.UseWebSockets();
        app.Use(async (context, next) =>
        {
            if (Token is not null && Header(context, "Authorization") != $"Bearer {Token}")
            {
                lock (Unauthorized)
                {
                    Unauthorized.Add(context.Request.Path);
                }

                context.Response.StatusCode = 401;
                return;
            }

            await next(context);
        });
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
        app.MapGet("/object_info", () => SchemaUnavailable ? Results.StatusCode(503) : Results.Json(ObjectInfo()));
        app.MapPost("/prompt", async (HttpContext context) =>
        {
            var body = (await context.Request.ReadFromJsonAsync<JsonNode>())!;
            if (body["prompt"] is not JsonObject prompt)
            {
                return Results.Json(new { error = new { type = "no_prompt", message = "No prompt provided", details = "No prompt provided", extra_info = new { } }, node_errors = new { } }, statusCode: 400);
            }

            var info = ObjectInfo();
            var validation = ComfyWorkflowCheck.Validate(prompt, info);
            var nodeErrors = new JsonObject(validation.NodeErrors.Select(n => KeyValuePair.Create(n.Key, (JsonNode?)new JsonObject
            {
                ["errors"] = new JsonArray(n.Value.Errors.Select(e => (JsonNode)new JsonObject
                {
                    ["type"] = e.Type,
                    ["message"] = e.Message,
                    ["details"] = e.Details,
                    ["extra_info"] = ExtraInfo(prompt[n.Key]!.AsObject(), e, info),
                }).ToArray()),
                ["dependent_outputs"] = new JsonArray(n.Value.DependentOutputs.Select(o => (JsonNode)o).ToArray()),
                ["class_type"] = n.Value.ClassType,
            })));
            if (!validation.Accepted)
            {
                var fault = validation.PromptError!;
                return Results.Json(new JsonObject
                {
                    ["error"] = new JsonObject { ["type"] = fault.Type, ["message"] = fault.Message, ["details"] = fault.Details, ["extra_info"] = new JsonObject() },
                    ["node_errors"] = nodeErrors,
                }, statusCode: 400);
            }

            CountSubmission();
            var id = body["prompt_id"]?.ToString() ?? Guid.NewGuid().ToString();
            lock (Prompts)
            {
                Prompts.Add(prompt);
            }

            int number;
            lock (_queue)
            {
                number = ++_number;
                _queue.Add(new Queued(number, id, prompt, body["client_id"]?.ToString(), DateTimeOffset.UtcNow));
            }

            return Results.Json(new JsonObject { ["prompt_id"] = id, ["number"] = number, ["node_errors"] = nodeErrors });
        });
        app.MapGet("/queue", () =>
        {
            Advance();
            lock (_queue)
            {
                return Results.Json(new JsonObject
                {
                    ["queue_running"] = new JsonArray(_queue.Take(1).Select(Entry).ToArray()),
                    ["queue_pending"] = new JsonArray(_queue.Skip(1).Select(Entry).ToArray()),
                });
            }
        });
        app.MapPost("/queue", async (HttpContext context) =>
        {
            var body = await context.Request.ReadFromJsonAsync<JsonNode>();
            lock (_queue)
            {
                // A running prompt is not touched by a delete.
                foreach (var id in body?["delete"]?.AsArray().Select(d => d!.ToString()) ?? [])
                {
                    if (_queue.Skip(1).FirstOrDefault(q => q.PromptId == id) is { } pending)
                    {
                        _queue.Remove(pending);
                        Deleted.Add(id);
                    }
                }
            }

            return Results.Ok();
        });
        app.MapPost("/interrupt", async (HttpContext context) =>
        {
            var body = context.Request.ContentLength > 0 ? await context.Request.ReadFromJsonAsync<JsonNode>() : null;
            lock (_queue)
            {
                if (_queue.FirstOrDefault() is { } running && (InterruptIgnoresPromptId || body?["prompt_id"] is null || body["prompt_id"]!.ToString() == running.PromptId))
                {
                    _queue.Remove(running);
                    Interrupted.Add(running.PromptId);
                    End(running, HistoryEntry(running, [], "error", new JsonArray(new JsonArray("execution_interrupted", new JsonObject
                    {
                        ["prompt_id"] = running.PromptId,
                        ["node_id"] = "11",
                        ["node_type"] = "KSamplerAdvanced",
                        ["executed"] = new JsonArray("1", "2", "3"),
                        ["timestamp"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
                    }))));
                }
            }

            return Results.Ok();
        });
        app.MapGet("/history/{id}", (string id) =>
        {
            Advance();
            return Results.Json(_history.TryGetValue(id, out var entry) ? new JsonObject { [id] = entry.DeepClone() } : new JsonObject());
        });
        app.MapPost("/history", async (HttpContext context) =>
        {
            var body = await context.Request.ReadFromJsonAsync<JsonNode>();
            foreach (var id in body?["delete"]?.AsArray().Select(d => d!.ToString()) ?? [])
            {
                _history.TryRemove(id, out _);
            }

            return Results.Ok();
        });
        app.MapGet("/view", async (string filename, string? subfolder, string? type) => filename switch
        {
            "still.mp4" => Results.Bytes((await OutputBytesAsync("still.png"))!, "video/mp4"),
            _ when await OutputBytesAsync(filename) is { } bytes => Results.Bytes(bytes, "video/mp4"),
            _ => Results.NotFound(),
        });
        app.MapGet("/system_stats", () => Results.Json(new
        {
            system = new { os = "posix", comfyui_version = "0.3.64", python_version = "3.12.3" },
            devices = new[] { new { name = "cuda:0 NVIDIA RTX 4090", type = "cuda", index = 0, vram_total = 25_757_220_864L, vram_free = 24_000_000_000L } },
        }));
        app.Map("/ws", async (HttpContext context) =>
        {
            var clientId = context.Request.Query["clientId"].ToString();
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var outbox = Channel.CreateUnbounded<string>();
            _sockets[clientId] = outbox; // a second socket of one client id takes its events; the older gets none
            var step = 0;
            try
            {
                while (socket.State == WebSocketState.Open && !context.RequestAborted.IsCancellationRequested)
                {
                    Queued? running;
                    lock (_queue)
                    {
                        running = _queue.FirstOrDefault();
                    }

                    if (running is not null && running.ClientId == clientId && _sockets.TryGetValue(clientId, out var current) && current == outbox)
                    {
                        // A sampler's steps, one a tick, up to 19 of 20.
                        step = Math.Min(step + 1, 19);
                        var message = new JsonObject { ["type"] = "progress", ["data"] = new JsonObject { ["value"] = step, ["max"] = 20, ["prompt_id"] = running.PromptId, ["node"] = "11" } };
                        await socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, context.RequestAborted);
                    }

                    while (outbox.Reader.TryRead(out var text))
                    {
                        await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, context.RequestAborted);
                    }

                    // The next tick in 100 ms, or at once for a message to send.
                    using var tick = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
                    tick.CancelAfter(100);
                    try
                    {
                        await outbox.Reader.WaitToReadAsync(tick.Token);
                    }
                    catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
                    {
                    }
                }
            }
            finally
            {
                _sockets.TryRemove(KeyValuePair.Create(clientId, outbox));
            }
        });
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                Advance();
            }
        }
        catch (OperationCanceledException)
        {
            // The fake stops.
        }
    }

    // How a prompt's end reaches the sockets (execution.py PromptExecutor.add_message at 04e2a914, main.py
    // prompt_worker at 02018c7e): its last status message (execution_success, execution_error or
    // execution_interrupted, with a timestamp) before the history is written, {"node": null, "prompt_id"} as
    // "executing" after it; both to the prompt's client only, save an interrupt of a prompt queued without one, which
    // goes to every socket (and no "executing" follows).
    private void End(Queued queued, JsonObject entry)
    {
        var last = (entry["status"] as JsonObject)?["messages"] is JsonArray { Count: > 0 } messages ? messages[^1] as JsonArray : null;
        var status = last is { Count: 2 }
            ? new JsonObject { ["type"] = last[0]!.DeepClone(), ["data"] = last[1]!.DeepClone() }
            : new JsonObject { ["type"] = "execution_success", ["data"] = new JsonObject { ["prompt_id"] = queued.PromptId, ["timestamp"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() } };
        if (queued.ClientId is null && status["type"]!.GetValue<string>() == "execution_interrupted")
        {
            Broadcast(status);
        }
        else
        {
            Send(queued.ClientId, status);
        }

        _history[queued.PromptId] = entry;
        _ended[queued.PromptId] = DateTimeOffset.UtcNow;
        Send(queued.ClientId, new JsonObject { ["type"] = "executing", ["data"] = new JsonObject { ["node"] = null, ["prompt_id"] = queued.PromptId } });
    }

    private void Send(string? clientId, JsonObject message)
    {
        if (!DropPushes && clientId is not null && _sockets.TryGetValue(clientId, out var outbox))
        {
            outbox.Writer.TryWrite(message.ToJsonString());
        }
    }

    // What validate_inputs (execution.py) adds to an error about a literal value: the input's definition ("input_config",
    // none for a list of more than 20) and the value after its conversion to the input's type ("received_value").
    private static JsonObject ExtraInfo(JsonObject node, ComfyError error, JsonObject info)
    {
        if (error.InputName is not { } name)
        {
            return [];
        }

        var extra = new JsonObject { ["input_name"] = name };
        if (error.Type is not ("value_smaller_than_min" or "value_bigger_than_max" or "value_not_in_list" or "invalid_input_type"))
        {
            return extra;
        }

        var inputs = info[node["class_type"]!.ToString()]!["input"]!;
        var spec = inputs["required"]?[name] ?? inputs["optional"]?[name];
        var value = node["inputs"]![name];
        extra["input_config"] = error.Type == "value_not_in_list" && spec?[0] is JsonArray { Count: > 20 } ? null : spec?.DeepClone();
        extra["received_value"] = error.Type is "value_smaller_than_min" or "value_bigger_than_max" && value?.GetValueKind() == System.Text.Json.JsonValueKind.String
            ? JsonValue.Create(decimal.Parse(value.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture))
            : value?.DeepClone();
        return extra;
    }

    // The node definitions, with LoadImage offering the files uploaded so far (and the definitions' own example).
    private JsonObject ObjectInfo()
    {
        var info = ComfyWorkflowCheckTests.ObjectInfo;
        info["LoadImage"]!["input"]!["required"]!["image"]![0] = new JsonArray(["example.png", .. _uploads.Keys.Select(k => (JsonNode)k)]);
        return info;
    }

    private static JsonNode Entry(Queued queued) => new JsonArray(queued.Number, queued.PromptId, queued.Prompt.DeepClone(), new JsonObject { ["client_id"] = queued.ClientId }, new JsonArray());

    // The oldest prompt runs until the mode lets it end and its latency has passed; then its outcome goes to the
    // history, by the mode at that moment.
    private void Advance()
    {
        lock (_queue)
        {
            while (Mode != ProviderMode.Hold && _queue.FirstOrDefault() is { ClientId: not "someone-else" } running && DateTimeOffset.UtcNow >= running.Submitted + Latency)
            {
                _queue.Remove(running);
                End(running, Finish(running));
            }
        }
    }

    private JsonObject Finish(Queued queued)
    {
        var output = queued.Prompt.FirstOrDefault(n => n.Value?["class_type"]?.ToString() is "SaveVideo" or "VHS_VideoCombine");
        var seconds = Seconds(queued.Prompt);
        JsonObject Video(string file) => output.Value?["class_type"]?.ToString() == "VHS_VideoCombine"
            ? new JsonObject { [output.Key] = new JsonObject { ["gifs"] = new JsonArray(new JsonObject { ["filename"] = file, ["subfolder"] = "", ["type"] = "output", ["format"] = "video/h264-mp4" }) } }
            : new JsonObject { [output.Key ?? "9"] = new JsonObject { ["images"] = new JsonArray(new JsonObject { ["filename"] = file, ["subfolder"] = "satsmotion", ["type"] = "output" }), ["animated"] = new JsonArray(true) } };
        JsonArray Error(string message) => new(new JsonArray("execution_error", new JsonObject
        {
            ["prompt_id"] = queued.PromptId,
            ["node_id"] = "11",
            ["node_type"] = "KSamplerAdvanced",
            ["executed"] = new JsonArray("1", "2", "3"),
            ["exception_message"] = message,
            ["exception_type"] = "RuntimeError",
            ["traceback"] = new JsonArray(),
            ["current_inputs"] = new JsonObject(),
            ["current_outputs"] = new JsonArray(),
            ["timestamp"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        }));
        return Mode switch
        {
            ProviderMode.Fail => HistoryEntry(queued, [], "error", Error("CUDA out of memory. Tried to allocate 2.00 GiB (secret path /home/op/models)")),
            ProviderMode.ContentFilter => HistoryEntry(queued, [], "error", Error("NSFW content detected by the safety checker")),
            ProviderMode.Malformed => new JsonObject { ["outputs"] = 5, ["status"] = "done" },
            ProviderMode.OutputMissing => HistoryEntry(queued, Video("gone.mp4"), "success", []),
            ProviderMode.OutputNotVideo => HistoryEntry(queued, Video("still.mp4"), "success", []),
            _ => HistoryEntry(queued, Video(Math.Round(seconds) == 3 ? "video.mp4" : $"video-{(int)Math.Round(seconds)}s.mp4"), "success", []),
        };
    }

    // A workflow's length: the frames of its image-to-video node at its video node's rate.
    private static double Seconds(JsonObject prompt)
    {
        var frames = prompt.Select(n => n.Value?["inputs"]?["length"]).FirstOrDefault(v => v is JsonValue)?.GetValue<double>();
        var fps = prompt.Select(n => n.Value?["inputs"]?["fps"] ?? n.Value?["inputs"]?["frame_rate"]).FirstOrDefault(v => v is JsonValue)?.GetValue<double>();
        return frames is > 0 && fps is > 0 ? frames.Value / fps.Value : 3;
    }

    private static JsonObject HistoryEntry(Queued queued, JsonObject outputs, string status, JsonArray messages) => new()
    {
        ["prompt"] = Entry(queued),
        ["outputs"] = outputs,
        ["status"] = new JsonObject { ["status_str"] = status, ["completed"] = status == "success", ["messages"] = messages },
        ["meta"] = new JsonObject(),
    };
}
