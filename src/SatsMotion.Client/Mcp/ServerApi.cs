using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SatsMotion.Client.Mcp;

/// <summary>A SatsMotion server's HTTP API as the stdio MCP tools use it: every answer as JSON, refusals as they come.</summary>
public sealed class ServerApi(HttpClient http, Uri server)
{
    public Uri Server => server;

    public Uri AnimateUrl => new(server, "/api/l402/animate-image");

    public async Task<JsonArray> ModelsAsync(CancellationToken cancellationToken)
    {
        var manifest = await GetAsync("/.well-known/l402-services", cancellationToken);
        return manifest.Json["services"]?[0]?["pricing"]?["models"] as JsonArray ?? throw new ClientException(ClientExit.ServerError, "the server's manifest lists no models");
    }

    public Task<(int Status, JsonNode Json)> GetAsync(string path, CancellationToken cancellationToken, string? authorization = null) =>
        SendAsync(HttpMethod.Get, path, null, authorization, null, cancellationToken);

    public Task<(int Status, JsonNode Json)> PostAnimateAsync(byte[] body, string? authorization, string? prefer, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, AnimateUrl.AbsolutePath, body, authorization, prefer, cancellationToken);

    public static async Task<JsonNode> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            return JsonNode.Parse(text) ?? new JsonObject();
        }
        catch (JsonException)
        {
            return new JsonObject { ["error"] = $"non-JSON answer ({(int)response.StatusCode})", ["error_code"] = "SERVER_ERROR" };
        }
    }

    private async Task<(int Status, JsonNode Json)> SendAsync(HttpMethod method, string path, byte[]? body, string? authorization, string? prefer, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(server, path));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }

        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        if (prefer is not null)
        {
            request.Headers.Add("Prefer", prefer);
        }

        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            return ((int)response.StatusCode, await ReadAsync(response, cancellationToken));
        }
        catch (HttpRequestException e)
        {
            throw new ClientException(ClientExit.ServerError, $"could not reach {server}: {e.Message}");
        }
    }

    /// <summary>The animate-image body for these arguments, always written the same way (the token cache keys on it).</summary>
    public static byte[] AnimateBody(string prompt, byte[] image, int? duration, string? modelId)
    {
        var body = new JsonObject { ["prompt"] = prompt, ["image"] = Convert.ToBase64String(image) };
        if (duration is not null)
        {
            body["duration"] = duration;
        }

        if (modelId is not null)
        {
            body["modelId"] = modelId;
        }

        return Encoding.UTF8.GetBytes(body.ToJsonString());
    }

    public Task<byte[]> DownloadAsync(Uri url, CancellationToken cancellationToken) => http.GetByteArrayAsync(url, cancellationToken);

    public async Task<JsonNode> JobAsync(string jobId, CancellationToken cancellationToken) =>
        (await http.GetFromJsonAsync<JsonNode>(new Uri(server, $"/api/l402/jobs/{Uri.EscapeDataString(jobId)}"), cancellationToken))!;
}
