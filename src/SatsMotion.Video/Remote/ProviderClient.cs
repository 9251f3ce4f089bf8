using System.Net;
using System.Text.Json.Nodes;
using SatsMotion.Video.Models;

namespace SatsMotion.Video.Remote;

/// <summary>One answer of a provider's API: its status, and its body when that is JSON.</summary>
public sealed record ProviderReply(HttpStatusCode Status, JsonNode? Json)
{
    public bool IsSuccess => (int)Status is >= 200 and < 300;
}

/// <summary>
/// Sends one request to a provider: transport trouble (refused, reset, timeouts) becomes a transient
/// <see cref="VideoGenerationException"/>, and the body is parsed as JSON when it is JSON, for the provider to read.
/// </summary>
public sealed class ProviderClient(HttpClient http, string provider)
{
    public async Task<ProviderReply> SendAsync(HttpRequestMessage request, string call, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            try
            {
                return new ProviderReply(response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
            }
            catch (System.Text.Json.JsonException)
            {
                return new ProviderReply(response.StatusCode, null);
            }
        }
        catch (Exception e) when (e is HttpRequestException or Polly.Timeout.TimeoutRejectedException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new VideoGenerationException(VideoFailure.ProviderFailed, "the video provider could not be reached", $"{provider} {call}: {e.Message}", transient: true, e);
        }
    }

    public VideoGenerationException Malformed(string call, string what) =>
        new(VideoFailure.ProviderFailed, "the video provider answered something this server cannot use", $"{provider} {call}: malformed answer ({what})");
}
