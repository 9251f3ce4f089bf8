using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Server.Jobs;

namespace SatsMotion.Server.Tests;

/// <summary>Jobs that survive: restarts, failed runs, retries by the paying caller, retention.</summary>
public sealed class JobLifecycleTests
{
    [Fact]
    public async Task A_job_in_flight_when_the_server_stops_finishes_after_restart()
    {
        var body = TestHost.Body(duration: 15);
        string jobId;
        string dataDirectory;
        using (var first = new TestHost())
        {
            dataDirectory = first.DataDirectory;
            var (macaroon, preimage, _) = await first.BuyAsync(body);
            using var accepted = await first.AnimateAsync(body, TestHost.Credential(macaroon, preimage), "respond-async");
            jobId = (await first.JsonAsync(accepted))["jobId"]!.GetValue<string>();
            await WaitUntilAsync(async () => (await JobAsync(first, jobId))["status"]!.GetValue<string>() == "PROCESSING");
        }

        using var second = new TestHost(dataDirectory);
        var done = await second.WaitForJobAsync(jobId);
        Assert.Equal("COMPLETED", done["status"]!.GetValue<string>());
        Assert.Equal(15, done["duration"]!.GetValue<int>());
        Assert.Empty(Directory.GetFiles(Path.Combine(dataDirectory, "videos"), "*.partial"));
    }

    [Fact]
    public async Task A_shutdown_costs_no_attempt_and_a_job_whose_runs_never_came_back_fails_then_its_paid_token_retries_it()
    {
        var body = TestHost.Body(duration: 15);
        string credential, jobId, dataDirectory;
        using (var first = new TestHost())
        {
            dataDirectory = first.DataDirectory;
            var (macaroon, preimage, _) = await first.BuyAsync(body);
            credential = TestHost.Credential(macaroon, preimage);
            using var accepted = await first.AnimateAsync(body, credential, "respond-async");
            jobId = (await first.JsonAsync(accepted))["jobId"]!.GetValue<string>();
            await WaitUntilAsync(async () => (await JobAsync(first, jobId))["status"]!.GetValue<string>() == "PROCESSING");
        }

        using (var connection = new SqliteConnection($"Data Source={new Storage.DataDirectory(dataDirectory).Database};Pooling=False"))
        {
            connection.Open();
            using var read = connection.CreateCommand();
            read.CommandText = $"SELECT status || ' ' || attempts FROM jobs WHERE id = '{jobId}'";
            Assert.Equal("QUEUED 0", read.ExecuteScalar()); // handed back on shutdown, the attempt not counted

            // As if each of its three allowed runs (MaxAttempts) had been claimed and its worker killed.
            using var killed = connection.CreateCommand();
            killed.CommandText = $"UPDATE jobs SET status = 'PROCESSING', attempts = 3 WHERE id = '{jobId}'";
            killed.ExecuteNonQuery();
        }

        using var second = new TestHost(dataDirectory);
        var failed = await second.WaitForJobAsync(jobId);
        Assert.Equal(("FAILED", "GENERATION_FAILED"), (failed["status"]!.GetValue<string>(), failed["reason_code"]!.GetValue<string>()));

        using var retried = await second.AnimateAsync(body, credential, "wait=90");
        var done = await second.JsonAsync(retried);
        Assert.True(retried.StatusCode == HttpStatusCode.OK, done.ToJsonString());
        Assert.Equal(jobId, done["jobId"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_job_that_keeps_failing_says_FAILED_and_the_paid_token_retries_it_without_a_new_payment()
    {
        var body = TestHost.Body();
        string macaroon, preimage, jobId, dataDirectory;
        using (var broken = new TestHost(settings: new() { ["SatsMotion:EncoderPreset"] = "no-such-preset", ["SatsMotion:MaxAttempts"] = "2" }))
        {
            dataDirectory = broken.DataDirectory;
            (macaroon, preimage, _) = await broken.BuyAsync(body);
            using var failed = await broken.AnimateAsync(body, TestHost.Credential(macaroon, preimage));
            var job = await broken.JsonAsync(failed);
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
            Assert.Equal("FAILED", job["status"]!.GetValue<string>());
            Assert.Equal("JOB_FAILED", job["error_code"]!.GetValue<string>());
            Assert.Contains("retry", job["error"]!.GetValue<string>());
            Assert.DoesNotContain(dataDirectory, job.ToJsonString());
            jobId = job["jobId"]!.GetValue<string>();
            Assert.Equal(1, broken.Count("dev_invoices"));
        }

        using var repaired = new TestHost(dataDirectory);
        using var retried = await repaired.AnimateAsync(body, TestHost.Credential(macaroon, preimage));
        var done = await repaired.JsonAsync(retried);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal(jobId, done["jobId"]!.GetValue<string>());
        Assert.Equal(1, repaired.Count("jobs"));
        Assert.Equal(1, repaired.Count("dev_invoices"));
    }

    [Fact]
    public async Task Videos_are_served_with_ranges_and_types_and_deleted_after_retention()
    {
        var clock = new ManualClock();
        using var host = new TestHost(clock: clock);
        var body = TestHost.Body();
        var (macaroon, preimage, _) = await host.BuyAsync(body);
        var job = await host.JsonAsync(await host.AnimateAsync(body, TestHost.Credential(macaroon, preimage)));
        var video = new Uri(job["videoUrl"]!.GetValue<string>()).PathAndQuery;
        var poster = new Uri(job["posterUrl"]!.GetValue<string>()).PathAndQuery;
        var client = host.CreateClient();

        using var range = new HttpRequestMessage(HttpMethod.Get, video);
        range.Headers.Range = new RangeHeaderValue(0, 99);
        using var partial = await client.SendAsync(range);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal("video/mp4", partial.Content.Headers.ContentType!.MediaType);
        Assert.Equal(100, (await partial.Content.ReadAsByteArrayAsync()).Length);
        using var image = await client.GetAsync(poster);
        Assert.Equal("image/jpeg", image.Content.Headers.ContentType!.MediaType);

        clock.Advance(TimeSpan.FromDays(31));
        Assert.Equal(1, await host.Services.GetRequiredService<VideoRetentionSweeper>().SweepAsync(CancellationToken.None));
        using var gone = await client.GetAsync(video);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal("NOT_FOUND", (await host.JsonAsync(gone))["error_code"]!.GetValue<string>());
        var expired = await JobAsync(host, job["jobId"]!.GetValue<string>());
        Assert.Null(expired["videoUrl"]);
        Assert.NotNull(expired["expired_at"]);
    }

    [Theory]
    [InlineData("/api/l402/jobs/00000000000000000000000000000000", HttpStatusCode.NotFound, "JOB_NOT_FOUND")]
    [InlineData("/api/l402/jobs/..%2F..%2Fetc", HttpStatusCode.NotFound, "JOB_NOT_FOUND")]
    [InlineData("/api/l402/job-status?requestId=abc&jobType=video", HttpStatusCode.NotFound, "JOB_NOT_FOUND")]
    [InlineData("/api/l402/job-status?jobType=video", HttpStatusCode.BadRequest, "INVALID_INPUT")]
    [InlineData("/api/l402/job-status?requestId=abc&jobType=image", HttpStatusCode.BadRequest, "INVALID_INPUT")]
    [InlineData("/videos/00000000000000000000000000000000.mp4", HttpStatusCode.NotFound, "NOT_FOUND")]
    [InlineData("/videos/satsmotion.db", HttpStatusCode.NotFound, "NOT_FOUND")]
    public async Task Unknown_jobs_and_files_are_json_404s(string path, HttpStatusCode status, string code)
    {
        using var host = new TestHost();
        using var response = await host.CreateClient().GetAsync(path);
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(code, (await host.JsonAsync(response))["error_code"]!.GetValue<string>());
    }

    private static async Task<JsonNode> JobAsync(TestHost host, string jobId) =>
        (await host.CreateClient().GetFromJsonAsync<JsonNode>($"/api/l402/jobs/{jobId}"))!;

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 300; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("condition not reached");
    }
}
