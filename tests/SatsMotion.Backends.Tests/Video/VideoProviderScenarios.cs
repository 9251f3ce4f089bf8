using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SatsMotion.Server.Tests;
using SatsMotion.Testing;

namespace SatsMotion.Backends.Tests.Video;

/// <summary>
/// What every remote video back-end must do through the real server (dev Lightning node, configured model list),
/// each against a fake of its provider: a paid video re-hosted as our own, a job longer than the caller's wait,
/// each kind of failure ending FAILED with its reason code and a caller-safe message, a paid retry, a restart and a
/// kill during a remote job that re-attach instead of paying the provider twice, and an unreachable provider
/// refused before any invoice. A subclass supplies the fake and the model entry.
/// </summary>
public abstract class VideoProviderScenarios<TProvider> : IAsyncLifetime where TProvider : FakeVideoProvider, new()
{
    private readonly string _work = Directory.CreateTempSubdirectory("satsmotion-provider-").FullName;
    private TestHost? _host;

    protected TProvider Provider { get; } = new();

    /// <summary>The model's entry in SatsMotion:Models for this provider (Id 7, Slug "remote", 3 and 5 s).</summary>
    protected abstract JsonObject Model(Uri provider);

    protected string SettingsFile => Path.Combine(_work, "settings.json");

    protected TestHost Host => _host ??= NewHost();

    public async Task InitializeAsync()
    {
        await Provider.StartAsync();
        WriteSettings(Provider.Address);
    }

    public async Task DisposeAsync()
    {
        _host?.Dispose();
        await Provider.DisposeAsync();
        Directory.Delete(_work, true);
    }

    private void WriteSettings(Uri provider) => File.WriteAllText(SettingsFile, new JsonObject
    {
        ["SatsMotion"] = new JsonObject { ["MaxAttempts"] = 2, ["Models"] = new JsonArray(Model(provider)) },
    }.ToJsonString());

    private TestHost NewHost(string? dataDirectory = null) => new(dataDirectory, settings: new() { ["config"] = SettingsFile });

    protected static string Body(string prompt = "make the person wave hello") => TestHost.Body(prompt, duration: 3, modelId: "remote");

    private async Task<(string Body, string Credential)> BuyAsync(TestHost host, string prompt = "make the person wave hello")
    {
        var body = Body(prompt);
        var (macaroon, preimage, challenge) = await host.BuyAsync(body);
        Assert.Equal(3 * 250, challenge["price_sats"]!.GetValue<long>());
        return (body, TestHost.Credential(macaroon, preimage));
    }

    private async Task<JsonNode> FailedJobAsync(ProviderMode mode, string reasonCode)
    {
        Provider.Mode = mode;
        var (body, credential) = await BuyAsync(Host);
        using var response = await Host.AnimateAsync(body, credential, "wait=60");
        var job = await Host.JsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.InternalServerError, job.ToJsonString());
        Assert.Equal("FAILED", job["status"]!.GetValue<string>());
        Assert.Equal(reasonCode, job["reason_code"]!.GetValue<string>());
        Assert.DoesNotContain(Provider.Address.Authority, job.ToJsonString());
        return job;
    }

    [Fact]
    public async Task A_paid_request_is_made_by_the_provider_and_served_as_our_own_video()
    {
        var (body, credential) = await BuyAsync(Host);
        using var response = await Host.AnimateAsync(body, credential, "wait=60");
        var job = await Host.JsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, job.ToJsonString());
        Assert.DoesNotContain(Provider.Address.Authority, job.ToJsonString());
        var video = Path.Combine(Host.DataDirectory, "videos", job["videoUrl"]!.GetValue<string>().Split('/')[^1]);
        var probe = await Ffprobe.ProbeAsync(video);
        Assert.Equal("h264", probe.Codec);
        Assert.Equal(3, probe.DurationSeconds, 0.5);
        Assert.True(File.Exists(Path.ChangeExtension(video, ".jpg")));
        Assert.Equal(1, Provider.Submissions);

        // A replay returns the same job without a second submission.
        using var replay = await Host.AnimateAsync(body, credential);
        Assert.Equal(job["jobId"]!.GetValue<string>(), (await Host.JsonAsync(replay))["jobId"]!.GetValue<string>());
        Assert.Equal(1, Provider.Submissions);
    }

    [Fact]
    public async Task The_models_list_shows_the_configured_model_with_its_price_and_durations()
    {
        var models = (await Host.JsonAsync(await Host.CreateClient().GetAsync("/api/l402/models"))).AsArray();
        var model = Assert.Single(models, m => m!["slug"]!.GetValue<string>() == "remote")!;
        Assert.Equal(7, model["id"]!.GetValue<int>());
        Assert.Equal(250, model["price_sats_per_second"]!.GetValue<int>());
        Assert.Equal([3, 5], model["durations"]!.AsArray().Select(d => d!.GetValue<int>()));
        Assert.Equal("ai", model["kind"]!.GetValue<string>());
        Assert.True(model["available"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_duration_the_model_does_not_offer_is_400_listing_the_allowed_ones()
    {
        using var response = await Host.AnimateAsync(TestHost.Body(duration: 4, modelId: "remote"));
        var error = await Host.JsonAsync(response);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("3, 5", error["error"]!.GetValue<string>());
        Assert.Empty(response.Headers.WwwAuthenticate);
    }

    [Fact]
    public async Task A_job_longer_than_the_wait_answers_202_and_completes_on_its_poll_url()
    {
        Provider.Mode = ProviderMode.Hold;
        var (body, credential) = await BuyAsync(Host);
        using var response = await Host.AnimateAsync(body, credential, "wait=1");
        var accepted = await Host.JsonAsync(response);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Provider.Mode = ProviderMode.Normal;
        var done = await Host.WaitForJobAsync(accepted["jobId"]!.GetValue<string>());
        Assert.Equal("COMPLETED", done["status"]!.GetValue<string>());
        Assert.Equal(1, Provider.Submissions);
    }

    [Fact]
    public async Task A_provider_failure_is_PROVIDER_FAILED_with_a_message_safe_for_the_caller()
    {
        var job = await FailedJobAsync(ProviderMode.Fail, "PROVIDER_FAILED");
        Assert.DoesNotContain("secret", job["error"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_content_filter_refusal_is_CONTENT_FILTERED() => await FailedJobAsync(ProviderMode.ContentFilter, "CONTENT_FILTERED");

    [Fact]
    public async Task A_malformed_provider_answer_is_PROVIDER_FAILED() => await FailedJobAsync(ProviderMode.Malformed, "PROVIDER_FAILED");

    [Theory]
    [InlineData(ProviderMode.OutputMissing)]
    [InlineData(ProviderMode.OutputNotVideo)]
    public async Task An_output_that_cannot_be_fetched_or_is_no_video_is_OUTPUT_INVALID(ProviderMode mode) => await FailedJobAsync(mode, "OUTPUT_INVALID");

    [Fact]
    public async Task A_paid_retry_after_a_failure_submits_again_and_delivers()
    {
        Provider.Mode = ProviderMode.Fail;
        var (body, credential) = await BuyAsync(Host);
        using (var failed = await Host.AnimateAsync(body, credential, "wait=60"))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        }

        Provider.Mode = ProviderMode.Normal;
        using var retried = await Host.AnimateAsync(body, credential, "wait=60");
        Assert.True(retried.StatusCode == HttpStatusCode.OK, await retried.Content.ReadAsStringAsync());
        Assert.Equal(2, Provider.Submissions);
        Assert.Equal(1, Host.Count("dev_invoices"));
    }

    [Fact]
    public async Task A_restart_during_a_remote_job_re_attaches_to_it_instead_of_submitting_again()
    {
        Provider.Mode = ProviderMode.Hold;
        string jobId;
        var data = Host.DataDirectory;
        var (body, credential) = await BuyAsync(Host);
        using (var accepted = await Host.AnimateAsync(body, credential, "respond-async"))
        {
            jobId = (await Host.JsonAsync(accepted))["jobId"]!.GetValue<string>();
        }

        await WaitForProgressAsync(Host.CreateClient(), jobId);
        _host!.Dispose();
        _host = NewHost(data);
        Provider.Mode = ProviderMode.Normal;
        var done = await Host.WaitForJobAsync(jobId);
        Assert.Equal("COMPLETED", done["status"]!.GetValue<string>());
        Assert.Equal(1, Provider.Submissions);
    }

    [Fact]
    public async Task A_killed_server_re_attaches_to_the_remote_job_after_restart()
    {
        Provider.Mode = ProviderMode.Hold;
        var data = Directory.CreateTempSubdirectory("provider-kill-").FullName;
        var address = new Uri($"http://127.0.0.1:{LoopbackPorts.Free()}");
        ProcessStartInfo Start() => new("dotnet", [typeof(Program).Assembly.Location, "--data", data, "--urls", address.GetLeftPart(UriPartial.Authority), "--config", SettingsFile]);
        string jobId;
        await using (var server = await ServerProcess.StartAsync(Start(), address, TimeSpan.FromSeconds(20)))
        {
            using var http = new HttpClient { BaseAddress = address };
            jobId = await PaidJobOverHttpAsync(http);
            await WaitForProgressAsync(http, jobId);
            await server.StopAsync(); // SIGKILL: no shutdown, the job row says PROCESSING
        }

        Provider.Mode = ProviderMode.Normal;
        await using (var restarted = await ServerProcess.StartAsync(Start(), address, TimeSpan.FromSeconds(20)))
        {
            using var http = new HttpClient { BaseAddress = address };
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            string status;
            do
            {
                await Task.Delay(200);
                status = (await http.GetFromJsonAsync<JsonNode>($"/api/l402/jobs/{jobId}"))!["status"]!.GetValue<string>();
            }
            while (status is "QUEUED" or "PROCESSING" && DateTime.UtcNow < deadline);
            Assert.Equal("COMPLETED", status);
        }

        Assert.Equal(1, Provider.Submissions);
    }

    [Fact]
    public async Task An_unreachable_provider_makes_the_model_unavailable_and_refused_before_any_invoice()
    {
        WriteSettings(new Uri($"http://127.0.0.1:{LoopbackPorts.Free()}/"));
        var models = (await Host.JsonAsync(await Host.CreateClient().GetAsync("/api/l402/models"))).AsArray();
        Assert.False(models.Single(m => m!["slug"]!.GetValue<string>() == "remote")!["available"]!.GetValue<bool>());
        using var response = await Host.AnimateAsync(Body());
        var error = await Host.JsonAsync(response);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("MODEL_UNAVAILABLE", error["error_code"]!.GetValue<string>());
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal(0, Host.Count("dev_invoices"));
    }

    private static async Task<string> PaidJobOverHttpAsync(HttpClient http)
    {
        var body = Body();
        using var challenge = await http.PostAsync("/api/l402/animate-image", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        var json = (await challenge.Content.ReadFromJsonAsync<JsonNode>())!;
        using var paid = await http.PostAsJsonAsync("/api/dev/pay", new { invoice = json["invoice"]!.GetValue<string>() });
        var preimage = (await paid.Content.ReadFromJsonAsync<JsonNode>())!["preimage"]!.GetValue<string>();
        using var redeem = new HttpRequestMessage(HttpMethod.Post, "/api/l402/animate-image") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        redeem.Headers.TryAddWithoutValidation("Authorization", TestHost.Credential(json["macaroon"]!.GetValue<string>(), preimage));
        redeem.Headers.Add("Prefer", "respond-async");
        using var accepted = await http.SendAsync(redeem);
        return (await accepted.Content.ReadFromJsonAsync<JsonNode>())!["jobId"]!.GetValue<string>();
    }

    /// <summary>Starts a paid job that the provider holds, and returns its id and the progress once it moved past <paramref name="atLeast"/>.</summary>
    protected async Task<(string JobId, double Progress)> HeldJobProgressAsync(double atLeast)
    {
        Provider.Mode = ProviderMode.Hold;
        var (body, credential) = await BuyAsync(Host);
        using var response = await Host.AnimateAsync(body, credential, "respond-async");
        var jobId = (await Host.JsonAsync(response))["jobId"]!.GetValue<string>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        double progress;
        do
        {
            await Task.Delay(200);
            progress = (await Host.JsonAsync(await Host.CreateClient().GetAsync($"/api/l402/jobs/{jobId}")))["progress"]!.GetValue<double>();
        }
        while (progress < atLeast && DateTime.UtcNow < deadline);
        return (jobId, progress);
    }

    /// <summary>Waits until the job reports provider progress: by then its remote job id is stored (it is stored before waiting).</summary>
    public static async Task WaitForProgressAsync(HttpClient http, string jobId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await http.GetFromJsonAsync<JsonNode>($"/api/l402/jobs/{jobId}"))!["progress"]!.GetValue<double>() <= 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the job never reported progress");
            await Task.Delay(50);
        }
    }
}
