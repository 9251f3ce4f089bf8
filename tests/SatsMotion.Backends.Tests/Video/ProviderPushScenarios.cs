using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SatsMotion.Server.Tests;
using SatsMotion.Testing;

namespace SatsMotion.Backends.Tests.Video;

/// <summary>
/// Providers that push their job endings (Replicate's and fal's webhooks), through the real server on a socket with a
/// PublicBaseUrl: the create asks for the push, the provider's signed push is accepted and wakes the wait at once
/// (fewer status polls than polling alone, which stays the fallback for a lost push), and a forged, re-signed or
/// stale push is refused with 401 and changes nothing. A push makes us look, never believe: a genuine push (or its
/// replay) that comes before the provider has finished leaves the job running; and a burst of forged pushes reads the
/// provider's keys once, not once per push.
/// </summary>
public abstract class ProviderPushScenarios<TProvider> : IAsyncLifetime where TProvider : FakeVideoProvider, new()
{
    private readonly string _settings = Path.Combine(Directory.CreateTempSubdirectory("satsmotion-push-").FullName, "settings.json");
    private readonly int _port = LoopbackPorts.Free();
    private TestHost _host = null!;

    protected TProvider Provider { get; } = new();

    protected Uri PushUrl => new($"http://127.0.0.1:{_port}/api/providers/remote/push");

    /// <summary>The model's entry (Slug "remote", 3 s) for this provider.</summary>
    protected abstract JsonObject Model(Uri provider);

    /// <summary>How many times the server asked the provider for the job's status.</summary>
    protected abstract int StatusPolls();

    /// <summary>Whether a request the provider got ("METHOD /path") asked for the job's status.</summary>
    protected abstract bool IsStatusPoll(string request);

    /// <summary>The webhook URLs the creates carried.</summary>
    protected abstract IReadOnlyList<string> AskedWebhooks();

    /// <summary>A push for the fake's job, signed with a foreign key, or with the right one at a time long past.</summary>
    protected abstract HttpRequestMessage ForgedPush(bool staleInstead);

    /// <summary>The provider's genuinely signed push for the fake's job, saying it finished well (whether or not it did).</summary>
    protected abstract HttpRequestMessage SignedPush();

    /// <summary>How many times the server read the provider's push-signing keys.</summary>
    protected abstract int KeyReads();

    public async Task InitializeAsync()
    {
        await Provider.StartAsync();
        // Long enough that the fallback poll after the finish comes 3 s late (polls at 1, 2.5, 4.75 and 8.1 s): a wide
        // margin over the wake a push gives, on a loaded machine too.
        Provider.Latency = TimeSpan.FromSeconds(5);

        // The fake makes its output video (ffmpeg) at the first download: make it now, so the time from the push to
        // the completion is the server's and not the stand-in's encoding.
        using (var warm = new HttpClient())
        {
            (await warm.GetAsync(new Uri(Provider.Address, "outputs/video.mp4"))).EnsureSuccessStatusCode();
        }
        File.WriteAllText(_settings, new JsonObject
        {
            ["SatsMotion"] = new JsonObject { ["PublicBaseUrl"] = $"http://127.0.0.1:{_port}", ["Models"] = new JsonArray(Model(Provider.Address)) },
        }.ToJsonString());
        _host = new TestHost(kestrel: true, kestrelPort: _port, settings: new() { ["config"] = _settings });
        _host.StartServer();
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await Provider.DisposeAsync();
    }

    private async Task<JsonNode> PaidJobAsync()
    {
        var body = TestHost.Body("make it wave", duration: 3, modelId: "remote");
        var (macaroon, preimage, _) = await _host.BuyAsync(body);
        using var response = await _host.AnimateAsync(body, TestHost.Credential(macaroon, preimage), "wait=60");
        var job = await _host.JsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, job.ToJsonString());
        return job;
    }

    [Fact]
    public async Task The_provider_is_asked_to_push_its_signed_push_is_taken_and_the_wait_looks_at_once()
    {
        var job = await PaidJobAsync();
        Assert.Equal(PushUrl.ToString(), Assert.Single(AskedWebhooks()));
        Assert.Equal([204], Provider.PushAnswers);
        Assert.Equal("COMPLETED", job["status"]!.GetValue<string>());

        // Polling alone would have asked about 10 times in these 5 s (250 ms growing by half); with the push as the
        // signal, the fallback polls from 1 s and the push ends the wait: the server asks at once, where the fallback
        // would next ask 3.1 s after the provider finished. (Measured at the ask, not at the completion, which adds
        // the download and the server's checks of the video: the latency bench shows those apart.)
        Assert.InRange(StatusPolls(), 1, 5);
        var pushed = Provider.LastPushSentAt!.Value;
        var looked = Provider.Timeline.Where(r => r.At >= pushed && IsStatusPoll(r.Request)).Select(r => r.At).Min();
        Assert.InRange(looked - pushed, TimeSpan.Zero, TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task A_lost_push_is_made_up_for_by_polling()
    {
        Provider.DropPushes = true;
        var job = await PaidJobAsync();
        Assert.Equal("COMPLETED", job["status"]!.GetValue<string>());
        Assert.Empty(Provider.PushAnswers);
    }

    // A paid job the fake holds running: its id, once the job shows the provider's 45 % (scaled to 0.405).
    private async Task<string> HeldJobAsync()
    {
        Provider.Mode = ProviderMode.Hold;
        var body = TestHost.Body("hold on", duration: 3, modelId: "remote");
        var (macaroon, preimage, _) = await _host.BuyAsync(body);
        using var accepted = await _host.AnimateAsync(body, TestHost.Credential(macaroon, preimage), "respond-async");
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var jobId = (await _host.JsonAsync(accepted))["jobId"]!.GetValue<string>();
        await JobAsync(jobId, j => j["progress"]!.GetValue<double>() >= 0.4);
        return jobId;
    }

    private async Task<JsonNode> JobAsync(string jobId, Func<JsonNode, bool> until)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var job = (await _host.CreateClient().GetFromJsonAsync<JsonNode>($"/api/l402/jobs/{jobId}"))!;
            if (until(job))
            {
                return job;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the job stayed {job.ToJsonString()}");
            await Task.Delay(50);
        }
    }

    private static async Task<HttpRequestMessage> CopyAsync(HttpRequestMessage original)
    {
        var copy = new HttpRequestMessage(original.Method, original.RequestUri) { Content = new ByteArrayContent(await original.Content!.ReadAsByteArrayAsync()) };
        foreach (var (name, values) in original.Headers)
        {
            copy.Headers.TryAddWithoutValidation(name, values);
        }

        foreach (var (name, values) in original.Content.Headers)
        {
            copy.Content.Headers.TryAddWithoutValidation(name, values);
        }

        return copy;
    }

    [Fact]
    public async Task A_forged_or_stale_push_is_refused_leaves_the_job_as_it_was_and_a_push_for_an_unknown_model_is_not_found()
    {
        var jobId = await HeldJobAsync();
        var before = await JobAsync(jobId, _ => true);

        using var http = new HttpClient();
        var answers = new List<(HttpStatusCode Status, string? Code)>();
        foreach (var stale in new[] { false, true })
        {
            using var response = await http.SendAsync(ForgedPush(stale));
            answers.Add((response.StatusCode, (await _host.JsonAsync(response))["error_code"]?.GetValue<string>()));
        }

        // The held job is as it was: still running at the provider's progress, no video, nothing recorded.
        var after = await JobAsync(jobId, _ => true);
        Assert.Equal(("PROCESSING", before["progress"]!.GetValue<double>()), (after["status"]!.GetValue<string>(), after["progress"]!.GetValue<double>()));
        Assert.Null(after["videoUrl"]);
        Assert.Null(after["completed_at"]);
        Assert.Equal(1, Provider.Submissions);
        Assert.All(answers, a => Assert.Equal((HttpStatusCode.Unauthorized, "PUSH_NOT_VERIFIED"), a));

        using var unknown = await http.PostAsync(PushUrl.ToString().Replace("/remote/", "/nothing/", StringComparison.Ordinal), new StringContent("{}"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task A_genuine_push_or_its_replay_before_the_provider_finished_makes_the_server_look_but_not_believe()
    {
        var jobId = await HeldJobAsync();
        using var http = new HttpClient();
        using var push = SignedPush();
        using var replay = await CopyAsync(push);
        foreach (var request in new[] { push, replay })
        {
            var polls = StatusPolls();
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);

            // The server asks the provider again, which says the job is still running: so is ours.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (StatusPolls() <= polls)
            {
                Assert.True(DateTime.UtcNow < deadline, "the server never looked at the provider again");
                await Task.Delay(20);
            }

            var job = await JobAsync(jobId, _ => true);
            Assert.Equal("PROCESSING", job["status"]!.GetValue<string>());
            Assert.Null(job["videoUrl"]);
        }

        // When the provider really finishes, the job completes.
        Provider.Mode = ProviderMode.Normal;
        Assert.Equal("COMPLETED", (await JobAsync(jobId, j => j["status"]!.GetValue<string>() != "PROCESSING"))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_burst_of_forged_pushes_reads_the_providers_keys_once_not_once_per_push()
    {
        await HeldJobAsync();
        using var http = new HttpClient();
        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            using var response = await http.SendAsync(ForgedPush(staleInstead: false));
            return response.StatusCode;
        }));
        Assert.All(answers, status => Assert.Equal(HttpStatusCode.Unauthorized, status));
        Assert.Equal(1, KeyReads()); // the first read; a read again for a rotation waits 30 s after the last one
    }
}
