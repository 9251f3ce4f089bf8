using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Video.Models;
using SatsMotion.Video.Remote;
using static SatsMotion.Video.Remote.InputPreflight;

namespace SatsMotion.Video.ComfyUi;

/// <summary>
/// A self-hosted ComfyUI server (its HTTP API, server.py at Comfy-Org/ComfyUI a125cd84): the image goes up with
/// POST /upload/image, the API-format workflow (placeholders filled, {image} being the uploaded file's name) with
/// POST /prompt under a prompt_id of our own job's, which is also the websocket clientId: each job has its socket,
/// and a job resubmitted after a crash finds its prompt queued, running or done instead of running twice. Progress
/// comes from /ws "progress" messages; the prompt's end on that socket wakes the wait to look at once (polling stays
/// the fallback for a dropped socket or a lost message); the outcome from GET /history/{prompt_id} (deleted once the video is stored), the video
/// through GET /view, all with the bearer token when ApiKey is set (a proxy in front). Cancel: interrupt our prompt
/// only while it runs (the server answers /queue for which), else delete it from the queue. The availability check
/// validates the filled workflow against the server's GET /object_info, as validate_prompt would.
/// </summary>
public sealed partial class ComfyUiProvider(ProviderClient http, Uri endpoint, JsonObject workflow, string? apiKey, OfferedLengths lengths, TimeProvider? clock = null) : IVideoProvider
{
    // Where output nodes list their files: VideoHelperSuite's "gifs"; core SaveVideo and SaveWEBM's "images" (with "animated": [true]).
    private static readonly string[] OutputKinds = ["gifs", "images"];

    private (JsonObject Info, DateTimeOffset At)? _objectInfo;

    // The wake-ups webhooks give Replicate's and fal's waits, given here by each job's own socket (keyed by prompt id).
    private readonly ProviderPushes _ends = new(null);

    // When fetched node definitions are fetched again (the server's clock, which tests move).
    private DateTimeOffset Now => (clock ?? TimeProvider.System).GetUtcNow();

    public static Func<IServiceProvider, IVideoProvider> Register(IServiceCollection services, ModelSettings model)
    {
        var endpoint = ProviderEndpoint.BaseAddress(model, null);
        var workflow = model.WorkflowDocument ?? ReadWorkflow(model);
        if (!workflow.ToJsonString().Contains("{image}", StringComparison.Ordinal))
        {
            throw new VideoConfigurationException($"SatsMotion:Models: model '{model.Slug}': the workflow has no {{image}} placeholder (a LoadImage node's \"image\" input)");
        }

        var name = $"comfyui:{model.Slug}";
        services.AddProviderHttpClient(name, endpoint);
        return sp => new ComfyUiProvider(new ProviderClient(sp.GetRequiredService<IHttpClientFactory>().CreateClient(name), "comfyui"), endpoint, workflow, model.ReadApiKey(), model.Lengths,
            sp.GetService<TimeProvider>());
    }

    private static JsonObject ReadWorkflow(ModelSettings model)
    {
        var path = model.Workflow ?? throw new VideoConfigurationException(
            $"SatsMotion:Models: model '{model.Slug}' (comfyui) needs Workflow (the path of an API-format workflow JSON) or a comfyui Preset");
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new VideoConfigurationException($"SatsMotion:Models: model '{model.Slug}': Workflow {path} is not a JSON object");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            throw new VideoConfigurationException($"SatsMotion:Models: model '{model.Slug}': cannot read Workflow {path}: {e.Message}");
        }
    }

    /// <summary>Our prompt id for a job: the same on every submission of that job, so a second one is recognised.</summary>
    public static string PromptIdOf(string jobId) => Guid.TryParseExact(jobId, "N", out var id) ? id.ToString() : jobId;

    public async Task<string> SubmitAsync(ProviderJob job, CancellationToken cancellationToken)
    {
        var promptId = PromptIdOf(job.JobId);
        var state = await FindAsync(promptId, cancellationToken);
        if (state is PromptState.Queued or PromptState.Running or PromptState.Succeeded)
        {
            return promptId; // submitted before we could store it (a crash): queued, running or done, never run twice
        }

        if (state == PromptState.Failed)
        {
            await ForgetAsync(promptId, cancellationToken); // a failed run's history would answer the new one at once
        }

        var uploaded = await UploadAsync(job, cancellationToken);
        var prompt = InputTemplate.Fill(workflow, InputTemplate.Values(uploaded, job));
        using var request = Request(HttpMethod.Post, "prompt");
        request.Content = JsonContent.Create(new JsonObject { ["prompt"] = prompt, ["client_id"] = promptId, ["prompt_id"] = promptId });
        var (ok, answer, status) = await SendAsync(request, "queue prompt", cancellationToken);
        if (!ok)
        {
            // 400 {"error": {type, message, details}, "node_errors": {id: {errors: [{type, message, details}], class_type}}}.
            var errors = (answer?["node_errors"] as JsonObject)?.SelectMany(n => (n.Value?["errors"] as JsonArray ?? []).Select(e => $"node {n.Key} ({n.Value?["class_type"]}): {e?["message"]}: {e?["details"]}"));
            throw new VideoGenerationException(VideoFailure.ProviderFailed, "the video server refused the job",
                $"comfyui POST /prompt: HTTP {status}: {answer?["error"]?["message"]} {answer?["error"]?["details"]} {string.Join("; ", errors ?? [])}".TrimEnd(), transient: status >= 500);
        }

        var id = answer?["prompt_id"]?.GetValue<string>() is { Length: > 0 } given ? given : throw http.Malformed("queue prompt", "no prompt_id");
        if (answer["node_errors"] is JsonObject { Count: > 0 } dropped)
        {
            // Queued with some outputs dropped for failing validation: the video may be among them, so it is not ours to run.
            await CancelAsync(id, cancellationToken);
            throw new VideoGenerationException(VideoFailure.ProviderFailed, "the video server refused the job",
                $"comfyui POST /prompt: outputs dropped for failing validation: {dropped.ToJsonString()}");
        }

        return id;
    }

    public async Task<ProviderOutput> WaitAsync(string remoteJobId, IProgress<double> progress, CancellationToken cancellationToken)
    {
        using var listening = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var socket = ListenAsync(remoteJobId, progress, listening.Token);
        try
        {
            for (var poll = 0; ; poll++)
            {
                // Taken before looking, so an end that comes meanwhile is not missed. The end makes us look, never
                // believe: the queue and the history decide, as on a poll.
                var ended = _ends.Next(remoteJobId);
                switch (await FindAsync(remoteJobId, cancellationToken))
                {
                    case PromptState.Succeeded or PromptState.Failed:
                        return Outcome(remoteJobId, (await HistoryAsync(remoteJobId, cancellationToken))!);
                    case null:
                        // History lives in memory: a restarted ComfyUI knows the prompt no more.
                        throw new VideoGenerationException(VideoFailure.ProviderFailed, "the video server lost the job",
                            $"comfyui prompt {remoteJobId} is neither queued, running nor in the history (was the server restarted?)", transient: false);
                }

                await ProviderPushes.DelayAsync(ended, ProviderPolling.Delay(poll), cancellationToken);
            }
        }
        finally
        {
            _ends.Forget(remoteJobId);
            await listening.CancelAsync();
            await socket;
        }
    }

    public async Task CancelAsync(string remoteJobId, CancellationToken cancellationToken)
    {
        // POST /interrupt stops whatever runs on servers before 0.3.56, whatever prompt_id it names: only when ours runs.
        var queue = await QueueAsync(cancellationToken);
        if (Holds(queue["queue_running"], remoteJobId))
        {
            using var interrupt = Request(HttpMethod.Post, "interrupt");
            interrupt.Content = JsonContent.Create(new JsonObject { ["prompt_id"] = remoteJobId });
            await SendAsync(interrupt, "interrupt", cancellationToken);
        }
        else if (Holds(queue["queue_pending"], remoteJobId))
        {
            using var dequeue = Request(HttpMethod.Post, "queue");
            dequeue.Content = JsonContent.Create(new JsonObject { ["delete"] = new JsonArray(remoteJobId) });
            await SendAsync(dequeue, "queue delete", cancellationToken);
        }
    }

    public async Task<ModelAvailability> CheckAsync(CancellationToken cancellationToken)
    {
        JsonObject info;
        try
        {
            using var stats = Request(HttpMethod.Get, "system_stats").Idempotent();
            var (ok, _, status) = await SendAsync(stats, "system_stats", cancellationToken);
            if (!ok)
            {
                return new ModelAvailability(false, $"comfyui GET /system_stats: HTTP {status}");
            }

            info = await ObjectInfoAsync(cancellationToken);
        }
        catch (VideoGenerationException e) when (e.Detail.Contains("object_info", StringComparison.Ordinal))
        {
            // As for Replicate's and fal's schemas: definitions that cannot be read (now, or again once the last read is
            // old) leave the model as it was, available, its workflow not checked.
            return ModelAvailability.InputNotChecked($"the node definitions could not be read ({e.Detail})");
        }
        catch (VideoGenerationException e)
        {
            return new ModelAvailability(false, e.Detail);
        }

        foreach (var (seconds, filled) in InputPreflight.Samples(workflow, lengths, "satsmotion-preflight.png"))
        {
            var validation = ComfyWorkflowCheck.Validate(filled!.AsObject(), info, strict: true, uploads: ImageInputs());
            if (!validation.Accepted || validation.NodeErrors.Count > 0)
            {
                return Unfit($"the workflow does not fit this ComfyUI's nodes for {seconds} s: {string.Join("; ", validation.Lines())}");
            }
        }

        return ModelAvailability.Yes;
    }

    // The inputs that take {image}: the file is uploaded with each job, so no server lists it in advance.
    private HashSet<(string Node, string Input)> ImageInputs() => workflow.SelectMany(node => (node.Value?["inputs"] as JsonObject ?? [])
        .Where(i => i.Value?.ToJsonString() == "\"{image}\"").Select(i => (node.Key, i.Key))).ToHashSet();

    private async Task<JsonObject> ObjectInfoAsync(CancellationToken cancellationToken)
    {
        if (_objectInfo is { } cached && Now - cached.At < InputPreflight.SchemaLifetime)
        {
            return cached.Info;
        }

        using var request = Request(HttpMethod.Get, "object_info").Idempotent();
        var (ok, answer, status) = await SendAsync(request, "object_info", cancellationToken);
        var info = ok && answer is JsonObject nodes ? nodes : throw http.Malformed("object_info", $"HTTP {status}");
        _objectInfo = (info, Now);
        return info;
    }

    private enum PromptState
    {
        Queued,
        Running,
        Succeeded,
        Failed,
    }

    /// <summary>Where our prompt is: queued, running, done (from its history) or, null, nowhere.</summary>
    private async Task<PromptState?> FindAsync(string promptId, CancellationToken cancellationToken)
    {
        // The queue first: a prompt that ends in between is in the history by then (it is written there before it leaves the queue).
        var queue = await QueueAsync(cancellationToken);
        if (Holds(queue["queue_running"], promptId))
        {
            return PromptState.Running;
        }

        if (Holds(queue["queue_pending"], promptId))
        {
            return PromptState.Queued;
        }

        return await HistoryAsync(promptId, cancellationToken) is { } entry
            ? entry["status"]?["status_str"]?.GetValue<string>() == "success" ? PromptState.Succeeded : PromptState.Failed
            : null;
    }

    private async Task<JsonNode> QueueAsync(CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, "queue").Idempotent();
        var (ok, answer, status) = await SendAsync(request, "queue", cancellationToken);
        return ok && answer is not null ? answer
            : throw new VideoGenerationException(VideoFailure.ProviderFailed, "the video server could not be asked about the job", $"comfyui GET /queue: HTTP {status}", transient: true);
    }

    private async Task<JsonObject?> HistoryAsync(string promptId, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, $"history/{Uri.EscapeDataString(promptId)}").Idempotent();
        var (ok, history, status) = await SendAsync(request, "history", cancellationToken);
        return ok ? history?[promptId] as JsonObject
            : throw new VideoGenerationException(VideoFailure.ProviderFailed, "the video server could not be asked about the job", $"comfyui GET /history: HTTP {status}", transient: true);
    }

    /// <summary>Once its video is stored, a prompt's history entry goes: the history is the server's memory, and our id must not answer a later run.</summary>
    public async Task ForgetAsync(string promptId, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Post, "history");
        request.Content = JsonContent.Create(new JsonObject { ["delete"] = new JsonArray(promptId) });
        await SendAsync(request, "history delete", cancellationToken);
    }

    // Queue entries are [number, prompt_id, prompt, extra_data, outputs_to_execute].
    private static bool Holds(JsonNode? entries, string promptId) =>
        entries is JsonArray list && list.Any(e => e is JsonArray { Count: > 1 } item && item[1]?.ToString() == promptId);

    private ProviderOutput Outcome(string promptId, JsonObject entry)
    {
        var status = entry["status"];
        if (status?["status_str"]?.GetValue<string>() == "error")
        {
            // messages: [["execution_error", {"exception_message", "node_type", ...}], ...]; an interrupt has execution_interrupted instead.
            var messages = status["messages"]?.AsArray().Select(m => m as JsonArray).ToList() ?? [];
            var error = messages.FirstOrDefault(m => m?[0]?.GetValue<string>() == "execution_error")?[1]?["exception_message"]?.GetValue<string>()
                ?? (messages.Any(m => m?[0]?.GetValue<string>() == "execution_interrupted") ? "interrupted" : "execution error");
            var filtered = ContentFilterPattern().IsMatch(error);
            throw new VideoGenerationException(filtered ? VideoFailure.ContentFiltered : VideoFailure.ProviderFailed,
                filtered ? "the server's safety check refused this image or prompt" : "the video server could not make this video", $"comfyui prompt {promptId}: {error}");
        }

        var file = (entry["outputs"] as JsonObject)?.Select(o => o.Value).OfType<JsonObject>()
            .SelectMany(output => OutputKinds.Select(kind => output[kind]).OfType<JsonArray>())
            .SelectMany(files => files).OfType<JsonObject>()
            .FirstOrDefault(f => f["filename"]?.GetValue<string>() is { } name && VideoFile().IsMatch(name))
            ?? throw http.Malformed("history", "no video file among the outputs");
        var query = $"filename={Uri.EscapeDataString(file["filename"]!.GetValue<string>())}&subfolder={Uri.EscapeDataString(file["subfolder"]?.GetValue<string>() ?? "")}&type={Uri.EscapeDataString(file["type"]?.GetValue<string>() ?? "output")}";
        return new ProviderOutput(new Uri(endpoint, $"view?{query}"), Bearer());
    }

    /// <summary>
    /// Whether a socket message says our prompt has ended, as ComfyUI sends them (main.py prompt_worker at
    /// Comfy-Org/ComfyUI 02018c7e, execution.py PromptExecutor at 04e2a914, server.py send_json at 002c3fb9; a125cd84,
    /// 0.3.64, was not to hand, but the calls are the same in every version read, older and newer):
    /// {"type": "execution_success" | "execution_error" | "execution_interrupted",
    /// "data": {"prompt_id", ..., "timestamp"}} before the history is written, then {"type": "executing", "data":
    /// {"node": null, "prompt_id"}} after it. Another prompt's end (an interrupt of a prompt queued without a client
    /// id goes to every socket) and a node starting ("node": "11") are not ours to look for. An execution_error also
    /// comes for a node blocked mid-run, which goes on: the look finds the prompt running and the wait goes on too.
    /// </summary>
    public static bool EndsPrompt(JsonNode? message, string promptId)
    {
        if (message?["data"] is not JsonObject data || data["prompt_id"]?.GetValueKind() != System.Text.Json.JsonValueKind.String
            || data["prompt_id"]!.GetValue<string>() != promptId)
        {
            return false;
        }

        return message["type"]?.GetValueKind() == System.Text.Json.JsonValueKind.String && message["type"]!.GetValue<string>() switch
        {
            "execution_success" or "execution_error" or "execution_interrupted" => true,
            "executing" => data.TryGetPropertyValue("node", out var node) && node is null,
            _ => false,
        };
    }

    // Best effort, on our own socket: progress messages ({"type": "progress", "data": {"value", "max", "prompt_id"}})
    // move the bar, and our prompt's end wakes the wait.
    private async Task ListenAsync(string promptId, IProgress<double> progress, CancellationToken cancellationToken)
    {
        try
        {
            using var socket = new ClientWebSocket();
            var ws = new UriBuilder(new Uri(endpoint, $"ws?clientId={Uri.EscapeDataString(promptId)}")) { Scheme = endpoint.Scheme == "https" ? "wss" : "ws" }.Uri;
            if (Bearer() is { } bearer)
            {
                socket.Options.SetRequestHeader("Authorization", bearer.ToString());
            }

            await socket.ConnectAsync(ws, cancellationToken);
            var buffer = new byte[64 * 1024];
            var best = 0.0;
            while (!cancellationToken.IsCancellationRequested)
            {
                var message = new StringBuilder();
                WebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer, cancellationToken);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    message.Append(System.Text.Encoding.UTF8.GetString(buffer, 0, result.Count));
                }
                while (!result.EndOfMessage);
                if (result.MessageType != WebSocketMessageType.Text)
                {
                    continue; // binary preview frames
                }

                var json = JsonNode.Parse(message.ToString());
                if (EndsPrompt(json, promptId))
                {
                    _ends.Wake(promptId);
                    continue;
                }

                // Each sampler (and VHS's frame bar) counts from 0: only a higher fraction moves the bar.
                if (json?["type"]?.GetValue<string>() == "progress" && json["data"]?["prompt_id"]?.GetValue<string>() == promptId
                    && json["data"]?["max"]?.GetValue<double>() is > 0 and var max && json["data"]!["value"]!.GetValue<double>() / max is var fraction && fraction > best)
                {
                    best = fraction;
                    progress.Report(fraction);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or System.Text.Json.JsonException or InvalidOperationException)
        {
            // Progress is a courtesy and the end a hint; the queue and the history decide the outcome, polled as before.
        }
    }

    private async Task<string> UploadAsync(ProviderJob job, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Post, "upload/image");
        var file = new ByteArrayContent(job.Image);
        file.Headers.ContentType = new MediaTypeHeaderValue(job.MediaType);
        var extension = job.MediaType.Split('/')[1];
        request.Content = new MultipartFormDataContent
        {
            { file, "image", $"satsmotion-{Guid.NewGuid():N}.{extension}" },
            { new StringContent("input"), "type" },
            { new StringContent("true"), "overwrite" },
        };
        var (ok, answer, status) = await SendAsync(request, "upload image", cancellationToken);
        if (!ok)
        {
            throw new VideoGenerationException(VideoFailure.ProviderFailed, "the video server refused the image", $"comfyui POST /upload/image: HTTP {status}", transient: status >= 500);
        }

        var name = answer?["name"]?.GetValue<string>() ?? throw http.Malformed("upload image", "no name");
        var subfolder = answer["subfolder"]?.GetValue<string>();
        return string.IsNullOrEmpty(subfolder) ? name : $"{subfolder}/{name}";
    }

    // ComfyUI has no auth of its own; operators who put it behind a proxy with a bearer token set ApiKey.
    private AuthenticationHeaderValue? Bearer() => apiKey is null ? null : new AuthenticationHeaderValue("Bearer", apiKey);

    private HttpRequestMessage Request(HttpMethod method, string path) => new(method, path) { Headers = { Authorization = Bearer() } };

    private async Task<(bool Ok, JsonNode? Answer, int Status)> SendAsync(HttpRequestMessage request, string call, CancellationToken cancellationToken)
    {
        var reply = await http.SendAsync(request, call, cancellationToken);
        return (reply.IsSuccess, reply.Json, (int)reply.Status);
    }

    [GeneratedRegex(@"NSFW|safety|unsafe content|content (policy|filter)", RegexOptions.IgnoreCase)]
    private static partial Regex ContentFilterPattern();

    [GeneratedRegex(@"\.(mp4|webm|mov|mkv|gif|webp)$", RegexOptions.IgnoreCase)]
    private static partial Regex VideoFile();
}
