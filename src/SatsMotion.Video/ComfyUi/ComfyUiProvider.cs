using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Video.Models;
using SatsMotion.Video.Remote;

namespace SatsMotion.Video.ComfyUi;

/// <summary>
/// A self-hosted ComfyUI server (its HTTP API, server.py): the image goes up with POST /upload/image, the operator's
/// API-format workflow (placeholders filled, {image} being the uploaded file's name) with POST /prompt; progress comes
/// from the /ws socket's "progress" messages, the outcome from GET /history/{prompt_id}, and the video through
/// GET /view. Cancel: POST /queue {"delete": [id]} while queued, POST /interrupt while it runs.
/// </summary>
public sealed partial class ComfyUiProvider(ProviderClient http, Uri endpoint, JsonObject workflow, string? apiKey) : IVideoProvider
{
    // Where ComfyUI output nodes list their files: VideoHelperSuite's "gifs", the core nodes' "videos", "images".
    private static readonly string[] OutputKinds = ["videos", "gifs", "images"];

    private readonly string _clientId = Guid.NewGuid().ToString("N");

    public static Func<IServiceProvider, IVideoProvider> Register(IServiceCollection services, ModelSettings model)
    {
        var endpoint = ProviderEndpoint.BaseAddress(model, null);
        var path = model.Workflow ?? throw new VideoConfigurationException($"SatsMotion:Models: model '{model.Slug}' (comfyui) needs Workflow: the path of an API-format workflow JSON");
        JsonObject workflow;
        try
        {
            workflow = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new VideoConfigurationException($"SatsMotion:Models: model '{model.Slug}': Workflow {path} is not a JSON object");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            throw new VideoConfigurationException($"SatsMotion:Models: model '{model.Slug}': cannot read Workflow {path}: {e.Message}");
        }

        if (!workflow.ToJsonString().Contains("{image}", StringComparison.Ordinal))
        {
            throw new VideoConfigurationException($"SatsMotion:Models: model '{model.Slug}': Workflow {path} has no {{image}} placeholder (a LoadImage node's \"image\" input)");
        }

        var name = $"comfyui:{model.Slug}";
        services.AddProviderHttpClient(name, endpoint);
        return sp => new ComfyUiProvider(new ProviderClient(sp.GetRequiredService<IHttpClientFactory>().CreateClient(name), "comfyui"), endpoint, workflow, model.ReadApiKey());
    }

    public async Task<string> SubmitAsync(ProviderJob job, CancellationToken cancellationToken)
    {
        var uploaded = await UploadAsync(job, cancellationToken);
        var prompt = InputTemplate.Fill(workflow, InputTemplate.Values(uploaded, job));
        using var request = Request(HttpMethod.Post, "prompt");
        request.Content = JsonContent.Create(new JsonObject { ["prompt"] = prompt, ["client_id"] = _clientId });
        var (ok, answer, status) = await SendAsync(request, "queue prompt", cancellationToken);
        if (!ok)
        {
            // 400: {"error": {"type", "message", "details"}, "node_errors": {...}}: the workflow does not fit this server.
            throw new VideoGenerationException(VideoFailure.ProviderFailed, "the video server refused the job",
                $"comfyui POST /prompt: HTTP {status}: {answer?["error"]?["message"]} {answer?["error"]?["details"]}", transient: status >= 500);
        }

        return answer?["prompt_id"]?.GetValue<string>() is { Length: > 0 } id ? id : throw http.Malformed("queue prompt", "no prompt_id");
    }

    public async Task<Uri> WaitAsync(string remoteJobId, IProgress<double> progress, CancellationToken cancellationToken)
    {
        using var listening = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var progressFeed = ListenForProgressAsync(remoteJobId, progress, listening.Token);
        try
        {
            for (var poll = 0; ; poll++)
            {
                using var request = Request(HttpMethod.Get, $"history/{Uri.EscapeDataString(remoteJobId)}").Idempotent();
                var (ok, history, status) = await SendAsync(request, "history", cancellationToken);
                if (!ok)
                {
                    throw new VideoGenerationException(VideoFailure.ProviderFailed, "the video server could not be asked about the job",
                        $"comfyui GET /history: HTTP {status}", transient: true);
                }

                if (history?[remoteJobId] is JsonObject entry)
                {
                    return Outcome(remoteJobId, entry);
                }

                await Task.Delay(ProviderPolling.Delay(poll), cancellationToken);
            }
        }
        finally
        {
            await listening.CancelAsync();
            await progressFeed;
        }
    }

    public async Task CancelAsync(string remoteJobId, CancellationToken cancellationToken)
    {
        using (var dequeue = Request(HttpMethod.Post, "queue"))
        {
            dequeue.Content = JsonContent.Create(new JsonObject { ["delete"] = new JsonArray(remoteJobId) });
            await SendAsync(dequeue, "queue delete", cancellationToken);
        }

        using var interrupt = Request(HttpMethod.Post, "interrupt");
        interrupt.Content = JsonContent.Create(new JsonObject { ["prompt_id"] = remoteJobId });
        await SendAsync(interrupt, "interrupt", cancellationToken);
    }

    public async Task<ModelAvailability> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var request = Request(HttpMethod.Get, "system_stats").Idempotent();
            var (ok, _, status) = await SendAsync(request, "system_stats", cancellationToken);
            return ok ? ModelAvailability.Yes : new ModelAvailability(false, $"comfyui GET /system_stats: HTTP {status}");
        }
        catch (VideoGenerationException e)
        {
            return new ModelAvailability(false, e.Detail);
        }
    }

    private Uri Outcome(string promptId, JsonObject entry)
    {
        var status = entry["status"];
        if (status?["status_str"]?.GetValue<string>() == "error")
        {
            // messages: [["execution_error", {"exception_message", "node_type", ...}], ...]
            var error = status["messages"]?.AsArray().Select(m => m as JsonArray)
                .FirstOrDefault(m => m?[0]?.GetValue<string>() == "execution_error")?[1]?["exception_message"]?.GetValue<string>() ?? "execution error";
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
        return new Uri(endpoint, $"view?{query}");
    }

    // Best effort: progress messages on the socket ({"type": "progress", "data": {"value", "max", "prompt_id"}}).
    private async Task ListenForProgressAsync(string promptId, IProgress<double> progress, CancellationToken cancellationToken)
    {
        try
        {
            using var socket = new ClientWebSocket();
            var ws = new UriBuilder(new Uri(endpoint, $"ws?clientId={_clientId}")) { Scheme = endpoint.Scheme == "https" ? "wss" : "ws" }.Uri;
            if (apiKey is not null)
            {
                socket.Options.SetRequestHeader("Authorization", $"Bearer {apiKey}");
            }

            await socket.ConnectAsync(ws, cancellationToken);
            var buffer = new byte[64 * 1024];
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
                if (json?["type"]?.GetValue<string>() == "progress" && json["data"]?["prompt_id"]?.GetValue<string>() == promptId
                    && json["data"]?["max"]?.GetValue<double>() is > 0 and var max)
                {
                    progress.Report(json["data"]!["value"]!.GetValue<double>() / max);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or System.Text.Json.JsonException or InvalidOperationException)
        {
            // Progress is a courtesy; /history decides the outcome.
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

    private HttpRequestMessage Request(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        if (apiKey is not null)
        {
            // ComfyUI has no auth of its own; operators who put it behind a proxy with a bearer token set ApiKey.
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        return request;
    }

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
