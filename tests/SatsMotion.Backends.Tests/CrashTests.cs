using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SatsMotion.Backends.Tests.Video;
using SatsMotion.Backends.Tests.Video.Replicate;
using SatsMotion.Server.Tests;
using SatsMotion.Testing;

namespace SatsMotion.Backends.Tests;

/// <summary>
/// The server process is SIGKILLed at each stage of a paid job and started again on the same data: after the 402,
/// after the payment, after the job row is written, while the local model renders, while a remote job runs and
/// while its output is being stored. Every paid token still yields its video, no job completes twice, and no
/// reader ever gets a half-written video.
/// </summary>
public sealed partial class CrashTests : IAsyncLifetime
{
    private readonly string _data = Directory.CreateTempSubdirectory("crash-").FullName;
    private readonly FakeReplicate _provider = new();
    private readonly Uri _address = new($"http://127.0.0.1:{LoopbackPorts.Free()}");
    private readonly List<string> _outputs = [];
    private string _settings = "";

    public async Task InitializeAsync()
    {
        await _provider.StartAsync();
        _settings = Path.Combine(_data, "settings.json");
        await File.WriteAllTextAsync(_settings, new JsonObject
        {
            ["SatsMotion"] = new JsonObject
            {
                ["Models"] = _provider.MotionAndRemoteModels(),
                ["Callbacks"] = new JsonObject { ["AllowLoopback"] = true, ["Timeout"] = "00:00:03" },
            },
        }.ToJsonString());
    }

    public async Task DisposeAsync() => await _provider.DisposeAsync();

    private Task<ServerProcess> StartAsync() => ServerProcess.StartAsync(new ProcessStartInfo("dotnet",
        [typeof(Program).Assembly.Location, "--data", Path.Combine(_data, "data"), "--urls", _address.GetLeftPart(UriPartial.Authority), "--config", _settings]),
        _address, TimeSpan.FromSeconds(20));

    private async Task KillAsync(ServerProcess server) => _outputs.Add(await server.StopAsync());

    private HttpClient Http() => new() { BaseAddress = _address };

    private static async Task<JsonNode> PostAsync(HttpClient http, string body, string? credential = null, string prefer = "respond-async")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/l402/animate-image") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (credential is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", credential);
            request.Headers.Add("Prefer", prefer);
        }

        using var response = await http.SendAsync(request);
        return (await response.Content.ReadFromJsonAsync<JsonNode>())!;
    }

    private static async Task<string> PayAsync(HttpClient http, JsonNode challenge)
    {
        using var paid = await http.PostAsJsonAsync("/api/dev/pay", new { invoice = challenge["invoice"]!.GetValue<string>() });
        return (await paid.Content.ReadFromJsonAsync<JsonNode>())!["preimage"]!.GetValue<string>();
    }

    private static string Credential(JsonNode challenge, string preimage) => TestHost.Credential(challenge["macaroon"]!.GetValue<string>(), preimage);

    private static async Task<JsonNode> JobAsync(HttpClient http, string jobId) => (await http.GetFromJsonAsync<JsonNode>($"/api/l402/jobs/{jobId}"))!;

    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Killed_after_the_402_and_after_the_payment_the_paid_token_still_gets_its_video()
    {
        var body = TestHost.Body("zoom in");
        JsonNode challenge;
        await using (var first = await StartAsync())
        {
            using var http = Http();
            challenge = await PostAsync(http, body);
            await KillAsync(first);
        }

        string preimage;
        await using (var second = await StartAsync())
        {
            using var http = Http();
            preimage = await PayAsync(http, challenge);
            await KillAsync(second);
        }

        await using var third = await StartAsync();
        using var client = Http();
        var job = await PostAsync(client, body, Credential(challenge, preimage));
        await AssertDeliveredAsync(third, client, job["jobId"]!.GetValue<string>(), 3);
    }

    [Fact]
    public async Task Killed_after_the_job_row_is_written_and_while_rendering_the_job_finishes_once()
    {
        var body = TestHost.Body("pan right", duration: 15);
        string jobId;
        JsonNode challenge;
        string preimage;
        await using (var first = await StartAsync())
        {
            using var http = Http();
            challenge = await PostAsync(http, body);
            preimage = await PayAsync(http, challenge);
            jobId = (await PostAsync(http, body, Credential(challenge, preimage)))["jobId"]!.GetValue<string>();
            await KillAsync(first); // the row is written: the 202 came after it
        }

        await using (var second = await StartAsync())
        {
            using var http = Http();
            await WaitAsync(async () => (await JobAsync(http, jobId))["progress"]!.GetValue<double>() > 0.1);
            await KillAsync(second); // mid-render: ffmpeg writes a .partial file
        }

        Assert.DoesNotContain($"Job {jobId}: completed", _outputs[1]);

        await using var third = await StartAsync();
        using var client = Http();
        Assert.Equal(jobId, (await PostAsync(client, body, Credential(challenge, preimage)))["jobId"]!.GetValue<string>());
        await AssertDeliveredAsync(third, client, jobId, 15);
    }

    [Fact]
    public async Task Killed_while_a_remote_job_runs_and_while_its_output_is_stored_it_is_submitted_once_and_delivered_once()
    {
        var body = TestHost.Body("make it wave", duration: 3, modelId: "remote");
        string jobId;
        _provider.Mode = ProviderMode.Hold;
        await using (var first = await StartAsync())
        {
            using var http = Http();
            var challenge = await PostAsync(http, body);
            jobId = (await PostAsync(http, body, Credential(challenge, await PayAsync(http, challenge))))["jobId"]!.GetValue<string>();
            await VideoProviderScenarios<FakeReplicate>.WaitForProgressAsync(http, jobId);
            await KillAsync(first);
        }

        _provider.Mode = ProviderMode.Normal;
        _provider.OutputDelay = TimeSpan.FromMilliseconds(300);
        await using (var second = await StartAsync())
        {
            await WaitAsync(() => Task.FromResult(_provider.OutputDownloads >= 1));
            await Task.Delay(500);
            await KillAsync(second); // mid-download of the output
        }

        Assert.DoesNotContain($"Job {jobId}: completed", _outputs[1]);

        _provider.OutputDelay = TimeSpan.Zero;
        await using var third = await StartAsync();
        using var client = Http();
        await AssertDeliveredAsync(third, client, jobId, 3);
        Assert.Equal(1, _provider.Submissions);
    }

    [Fact]
    public async Task Killed_while_a_webhook_is_in_flight_the_same_event_arrives_again_after_the_restart_and_is_delivered_once()
    {
        await using var receiver = new WebhookReceiver { Answer = n => n == 0 ? 0 : 200 }; // the first attempt is held open
        var body = CallbackTests.Body(receiver.Address.ToString(), "crash");
        string jobId;
        string secret;
        await using (var first = await StartAsync())
        {
            using var http = Http();
            var challenge = await PostAsync(http, body);
            var answer = await PostAsync(http, body, Credential(challenge, await PayAsync(http, challenge)), "wait=60");
            (jobId, secret) = (answer["jobId"]!.GetValue<string>(), answer["webhook_secret"]!.GetValue<string>());
            await receiver.WaitForAsync(1);
            await KillAsync(first); // SIGKILL with the attempt unanswered: its lease is all that is left
        }

        await using var second = await StartAsync();
        var received = await receiver.WaitForAsync(2, TimeSpan.FromSeconds(60));
        Assert.Equal(received[0].Id, received[1].Id);
        Assert.Equal(received[0].Body, received[1].Body);
        var checks = await NodeScript.RunAsync("webhook-verify.mjs", new { secret, deliveries = received.Select(d => new { headers = d.Headers, body = d.Body }) });
        Assert.All(checks["results"]!.AsArray(), c => Assert.True(c!["ok"]!.GetValue<bool>(), c.ToJsonString()));

        // The store says delivered, after two attempts: nothing sends it again.
        var outbox = new SatsMotion.Server.Callbacks.WebhookOutbox(
            new SatsMotion.Server.Storage.Sqlite.SqliteDatabase(new SatsMotion.Server.Storage.DataDirectory(Path.Combine(_data, "data")).Database), TimeProvider.System);
        await WaitAsync(async () => (await outbox.ListForJobAsync(jobId, CancellationToken.None)).Single().DeliveredAt is not null);
        var delivery = (await outbox.ListForJobAsync(jobId, CancellationToken.None)).Single();
        Assert.Equal((received[0].Id, 2, 200), (delivery.Id, delivery.Attempts, delivery.LastStatus));
        Assert.Equal(2, receiver.Received.Count);
    }

    /// <summary>The video is whole (ffprobe reads all of it), and the job finished once across every run.</summary>
    private async Task AssertDeliveredAsync(ServerProcess last, HttpClient http, string jobId, int seconds)
    {
        await WaitAsync(async () => (await JobAsync(http, jobId))["status"]!.GetValue<string>() is "COMPLETED" or "FAILED");
        Assert.Equal("COMPLETED", (await JobAsync(http, jobId))["status"]!.GetValue<string>());
        var job = await JobAsync(http, jobId);
        var file = Path.Combine(_data, $"{jobId}.mp4");
        await File.WriteAllBytesAsync(file, await http.GetByteArrayAsync(new Uri(job["videoUrl"]!.GetValue<string>()).PathAndQuery));
        Assert.Equal(seconds, (await Ffprobe.ProbeAsync(file)).DurationSeconds, 0.5);

        // Only finished files are served: no name in the videos folder is a partial one under a servable name.
        Assert.All(Directory.GetFiles(Path.Combine(_data, "data", "videos")), f => Assert.Matches(@"^[0-9a-f]{32}\.(mp4|jpg)$|\.partial|\.download", Path.GetFileName(f)));

        // The killed runs' scratch folders went when the server started again; the last run removed its own.
        Assert.Empty(Directory.GetDirectories(Path.Combine(_data, "data", "work")));
        await KillAsync(last);
        Assert.Single(_outputs.SelectMany(o => Completed().Matches(o)), m => m.Groups[1].Value == jobId);
    }

    [GeneratedRegex("Job ([0-9a-f]{32}): completed")]
    private static partial Regex Completed();
}
