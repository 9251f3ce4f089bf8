using System.Net;
using System.Text.Json.Nodes;
using SatsMotion.Server.Tests;
using SatsMotion.Testing;

namespace SatsMotion.Backends.Tests.Video;

/// <summary>
/// Providers that push their job endings (Replicate's and fal's webhooks), through the real server on a socket with a
/// PublicBaseUrl: the create asks for the push, the provider's signed push is accepted and wakes the wait at once
/// (fewer status polls than polling alone, which stays the fallback for a lost push), and a forged, re-signed or
/// stale push is refused with 401 and changes nothing.
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

    /// <summary>The webhook URLs the creates carried.</summary>
    protected abstract IReadOnlyList<string> AskedWebhooks();

    /// <summary>A push for the fake's job, signed with a foreign key, or with the right one at a time long past.</summary>
    protected abstract HttpRequestMessage ForgedPush(bool staleInstead);

    public async Task InitializeAsync()
    {
        await Provider.StartAsync();
        Provider.Latency = TimeSpan.FromSeconds(3);
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

        // Polling alone would have asked about 8 times in these 3 s (250 ms growing by half); with the push as the
        // signal, the fallback polls from 1 s and the push ends the wait.
        // The server asks for the output as soon as it knows the job ended: about when its push was answered. (Not
        // completed_at: the re-hosting after the download is ffmpeg's work, slower on a busy machine.)
        Assert.InRange(StatusPolls(), 1, 4);
        Assert.InRange(Provider.LastOutputRequestAt!.Value - Provider.LastPushAt!.Value, TimeSpan.FromSeconds(-1), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task A_lost_push_is_made_up_for_by_polling()
    {
        Provider.DropPushes = true;
        var job = await PaidJobAsync();
        Assert.Equal("COMPLETED", job["status"]!.GetValue<string>());
        Assert.Empty(Provider.PushAnswers);
    }

    [Fact]
    public async Task A_forged_or_stale_push_is_refused_and_a_push_for_an_unknown_model_is_not_found()
    {
        Provider.Mode = ProviderMode.Hold;
        var body = TestHost.Body("hold on", duration: 3, modelId: "remote");
        var (macaroon, preimage, _) = await _host.BuyAsync(body);
        using (await _host.AnimateAsync(body, TestHost.Credential(macaroon, preimage), "respond-async"))
        {
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Provider.Submissions == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the job was never submitted");
            await Task.Delay(20);
        }

        using var http = new HttpClient();
        foreach (var stale in new[] { false, true })
        {
            using var response = await http.SendAsync(ForgedPush(stale));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("PUSH_NOT_VERIFIED", (await _host.JsonAsync(response))["error_code"]!.GetValue<string>());
        }

        using var unknown = await http.PostAsync(PushUrl.ToString().Replace("/remote/", "/nothing/", StringComparison.Ordinal), new StringContent("{}"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }
}
