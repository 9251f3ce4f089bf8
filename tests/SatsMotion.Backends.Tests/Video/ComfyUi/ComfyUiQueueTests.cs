using SatsMotion.Video.ComfyUi;
using SatsMotion.Video.Models;
using SatsMotion.Video.Remote;

namespace SatsMotion.Backends.Tests.Video.ComfyUi;

/// <summary>
/// The ComfyUI adapter on a server shared with other jobs (FakeComfyUi, a proxy's bearer token in front): a job
/// submitted twice runs once, a cancel touches only our prompt, each job has its own progress socket, the history
/// entry goes once the video is stored, and every request carries the token.
/// </summary>
public sealed class ComfyUiQueueTests : IAsyncLifetime
{
    private const string Token = "proxy-token";
    private readonly FakeComfyUi _server = new();
    private ComfyUiProvider _provider = null!;

    public async Task InitializeAsync()
    {
        await _server.StartAsync();
        _server.Token = Token;
        _provider = WanOnFakeComfyUi.Provider(_server, Token);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static ProviderJob Job() => WanOnFakeComfyUi.Job();

    [Fact]
    public async Task A_job_submitted_again_finds_its_prompt_and_runs_once()
    {
        // A crash between the submission and storing its id: the retry must not pay the GPU twice.
        _server.Mode = ProviderMode.Hold;
        var job = Job();
        var first = await _provider.SubmitAsync(job, CancellationToken.None);
        var again = await _provider.SubmitAsync(job, CancellationToken.None);
        Assert.Equal(first, again);
        Assert.Equal(ComfyUiProvider.PromptIdOf(job.JobId), first);
        Assert.Equal(1, _server.Submissions);

        _server.Mode = ProviderMode.Normal;
        await _provider.WaitAsync(first, new LastProgress(), CancellationToken.None);
        Assert.Equal(first, await _provider.SubmitAsync(job, CancellationToken.None)); // done: its result is there to read
        Assert.Equal(1, _server.Submissions);
        Assert.Empty(_server.Unauthorized);
    }

    [Fact]
    public async Task A_cancel_of_a_queued_prompt_deletes_it_and_never_interrupts_another_customers_job()
    {
        // On a server before 0.3.56 /interrupt stops whatever runs, whichever prompt_id it names.
        _server.InterruptIgnoresPromptId = true;
        var foreign = _server.QueueForeignPrompt();
        var ours = await _provider.SubmitAsync(Job(), CancellationToken.None);
        await _provider.CancelAsync(ours, CancellationToken.None);
        Assert.Equal([ours], _server.Deleted);
        Assert.Empty(_server.Interrupted);
        Assert.DoesNotContain(foreign, _server.Deleted);
    }

    [Fact]
    public async Task A_cancel_of_our_running_prompt_interrupts_it()
    {
        _server.Mode = ProviderMode.Hold;
        var ours = await _provider.SubmitAsync(Job(), CancellationToken.None);
        await _provider.CancelAsync(ours, CancellationToken.None);
        Assert.Equal([ours], _server.Interrupted);
    }

    [Fact]
    public async Task Two_jobs_each_get_their_own_progress()
    {
        // One clientId for both would give the newer socket the events, and leave the running job's bar still.
        _server.Mode = ProviderMode.Hold;
        var first = await _provider.SubmitAsync(Job(), CancellationToken.None);
        var second = await _provider.SubmitAsync(Job(), CancellationToken.None);
        var (one, two) = (new LastProgress(), new LastProgress());
        using var stop = new CancellationTokenSource();
        var waits = new[] { _provider.WaitAsync(first, one, stop.Token), _provider.WaitAsync(second, two, stop.Token) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (one.Last < 0.5 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.True(one.Last >= 0.5, $"the running job's progress stopped at {one.Last}");
        Assert.Equal(0, two.Last); // waiting in the queue: no progress of someone else's
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Task.WhenAll(waits));
    }

    [Fact]
    public async Task A_prompt_the_server_forgot_fails_instead_of_waiting_for_the_timeout()
    {
        var ours = await _provider.SubmitAsync(Job(), CancellationToken.None);
        await _provider.WaitAsync(ours, new LastProgress(), CancellationToken.None);
        await _provider.ForgetAsync(ours, CancellationToken.None); // as a restarted ComfyUI, whose history is memory
        var lost = await Assert.ThrowsAsync<VideoGenerationException>(() => _provider.WaitAsync(ours, new LastProgress(), CancellationToken.None));
        Assert.Contains("neither queued", lost.Detail);
    }
}
