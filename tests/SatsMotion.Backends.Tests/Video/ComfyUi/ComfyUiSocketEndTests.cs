using System.Text.Json.Nodes;
using SatsMotion.Video.ComfyUi;
using SatsMotion.Video.Models;
using SatsMotion.Video.Remote;

namespace SatsMotion.Backends.Tests.Video.ComfyUi;

/// <summary>
/// The end of our prompt on its websocket (FakeComfyUi sends it as ComfyUI does) wakes the wait to look at once,
/// where polling alone would look at the next poll; another prompt's end does not; a lost end is made up for by
/// polling. The polls come at 0, 0.25, 0.63, 1.19 and 2.03 s, the next 1.27 s later: the prompt ends (or another's
/// end comes) just after the fifth, so a look well within those 1.27 s is the socket's doing.
/// </summary>
public sealed class ComfyUiSocketEndTests : IAsyncLifetime
{
    private const int PollsBefore = 5;
    private readonly FakeComfyUi _server = new();
    private ComfyUiProvider _provider = null!;

    public async Task InitializeAsync()
    {
        await _server.StartAsync();
        _provider = WanOnFakeComfyUi.Provider(_server, null);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static ProviderJob Job() => WanOnFakeComfyUi.Job();

    private static bool IsLook((DateTimeOffset At, string Request) r) => r.Request == "GET /queue" || r.Request.StartsWith("GET /history/", StringComparison.Ordinal);

    private int Polls() => _server.Timeline.Count(r => r.Request == "GET /queue");

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, what);
            await Task.Delay(2);
        }
    }

    // Our prompt held running, its wait polling, its socket open (progress shown): at the fifth poll.
    private async Task<(string PromptId, Task<ProviderOutput> Wait)> HeldAtFifthPollAsync()
    {
        _server.Mode = ProviderMode.Hold;
        var promptId = await _provider.SubmitAsync(Job(), CancellationToken.None);
        var submitted = Polls(); // the submission looked too, to run no prompt twice
        var progress = new LastProgress();
        var wait = _provider.WaitAsync(promptId, progress, CancellationToken.None);
        await UntilAsync(() => Polls() - submitted >= PollsBefore && progress.Last > 0, "the wait never polled five times with its socket open");
        return (promptId, wait);
    }

    [Theory]
    [InlineData(ProviderMode.Normal)]
    [InlineData(ProviderMode.Fail)]
    public async Task Our_prompts_end_on_the_socket_makes_the_wait_look_at_once(ProviderMode outcome)
    {
        var (promptId, wait) = await HeldAtFifthPollAsync();
        _server.Mode = outcome; // the fake ends it within 10 ms: execution_success or _error, then "executing" with node null
        if (outcome == ProviderMode.Normal)
        {
            await wait;
        }
        else
        {
            Assert.Contains("CUDA out of memory", (await Assert.ThrowsAsync<VideoGenerationException>(() => wait)).Detail);
        }

        var ended = _server.EndedAt(promptId)!.Value;
        var looked = _server.Timeline.Where(r => r.At >= ended && IsLook(r)).Min(r => r.At);
        Assert.InRange(looked - ended, TimeSpan.Zero, TimeSpan.FromSeconds(0.5)); // the next poll: about 1.2 s
    }

    [Fact]
    public async Task Another_prompts_end_neither_ends_nor_wakes_our_wait()
    {
        var (promptId, wait) = await HeldAtFifthPollAsync();

        // ComfyUI sends other prompts' ends to their own clients' sockets, save an interrupt of a prompt queued
        // without a client, which goes to every socket: all four kinds here, and a node of ours starting.
        var other = Guid.NewGuid().ToString();
        var sent = DateTimeOffset.UtcNow;
        _server.Broadcast(new JsonObject { ["type"] = "execution_interrupted", ["data"] = new JsonObject { ["prompt_id"] = other, ["node_id"] = "3", ["node_type"] = "KSampler", ["executed"] = new JsonArray(), ["timestamp"] = 1 } });
        _server.Broadcast(new JsonObject { ["type"] = "execution_success", ["data"] = new JsonObject { ["prompt_id"] = other, ["timestamp"] = 1 } });
        _server.Broadcast(new JsonObject { ["type"] = "execution_error", ["data"] = new JsonObject { ["prompt_id"] = other, ["node_id"] = "3", ["exception_message"] = "no", ["timestamp"] = 1 } });
        _server.Broadcast(new JsonObject { ["type"] = "executing", ["data"] = new JsonObject { ["node"] = null, ["prompt_id"] = other } });
        _server.Broadcast(new JsonObject { ["type"] = "executing", ["data"] = new JsonObject { ["node"] = "11", ["display_node"] = "11", ["prompt_id"] = promptId } });

        // The next look is the poll's, about 1.27 s after the fifth; a wake would have looked within milliseconds.
        var polls = Polls();
        await UntilAsync(() => Polls() > polls, "the wait stopped polling");
        var looked = _server.Timeline.Where(r => r.At >= sent && IsLook(r)).Min(r => r.At);
        Assert.True(looked - sent > TimeSpan.FromSeconds(0.8), $"looked {(looked - sent).TotalMilliseconds:0} ms after another prompt's end");
        Assert.False(wait.IsCompleted);

        _server.Mode = ProviderMode.Normal;
        await wait;
    }

    [Fact]
    public async Task A_lost_end_message_is_made_up_for_by_polling()
    {
        _server.DropPushes = true;
        _server.Latency = TimeSpan.FromSeconds(0.5);
        var promptId = await _provider.SubmitAsync(Job(), CancellationToken.None);
        await _provider.WaitAsync(promptId, new LastProgress(), CancellationToken.None);
        Assert.NotNull(_server.EndedAt(promptId));
    }

    [Theory]
    [InlineData("""{"type": "executing", "data": {"node": null, "prompt_id": "ours"}}""", true)]
    [InlineData("""{"type": "execution_success", "data": {"prompt_id": "ours", "timestamp": 1760000000000}}""", true)]
    [InlineData("""{"type": "execution_error", "data": {"prompt_id": "ours", "node_id": "11", "exception_message": "x", "timestamp": 1}}""", true)]
    [InlineData("""{"type": "execution_interrupted", "data": {"prompt_id": "ours", "node_id": "11", "executed": [], "timestamp": 1}}""", true)]
    [InlineData("""{"type": "executing", "data": {"node": null, "prompt_id": "theirs"}}""", false)]
    [InlineData("""{"type": "execution_success", "data": {"prompt_id": "theirs", "timestamp": 1}}""", false)]
    [InlineData("""{"type": "executing", "data": {"node": "11", "display_node": "11", "prompt_id": "ours"}}""", false)]
    [InlineData("""{"type": "executing", "data": {"node": "11"}}""", false)] // a reconnect's current node
    [InlineData("""{"type": "executing", "data": {"prompt_id": "ours"}}""", false)]
    [InlineData("""{"type": "execution_start", "data": {"prompt_id": "ours", "timestamp": 1}}""", false)]
    [InlineData("""{"type": "execution_cached", "data": {"nodes": [], "prompt_id": "ours", "timestamp": 1}}""", false)]
    [InlineData("""{"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}}}}""", false)]
    [InlineData("""{"type": "execution_success", "data": {"prompt_id": 5}}""", false)]
    public void What_ends_our_prompt_on_the_socket(string message, bool ends) =>
        Assert.Equal(ends, ComfyUiProvider.EndsPrompt(JsonNode.Parse(message), "ours"));
}
