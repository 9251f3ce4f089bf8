using System.Net;
using System.Net.ServerSentEvents;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Server.Storage;
using SatsMotion.Testing;

namespace SatsMotion.Server.Tests;

/// <summary>
/// GET /api/l402/jobs/{id}/events: the state at once, then each change, until the terminal status; read with .NET's
/// own SSE parser and with the npm `eventsource` client a caller's script would use.
/// </summary>
public sealed class JobEventsTests : IDisposable
{
    private readonly TestHost _host = new(kestrel: true);

    public JobEventsTests() => _host.StartServer();

    private async Task<string> StartJobAsync(int duration)
    {
        var body = TestHost.Body(duration: duration);
        var (macaroon, preimage, _) = await _host.BuyAsync(body);
        using var response = await _host.AnimateAsync(body, TestHost.Credential(macaroon, preimage), "respond-async");
        var job = await _host.JsonAsync(response);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.EndsWith($"/api/l402/jobs/{job["jobId"]}/events", job["events_url"]!.GetValue<string>());
        return job["jobId"]!.GetValue<string>();
    }

    private async Task<List<SseItem<string>>> ReadAsync(string jobId, string? lastEventId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/l402/jobs/{jobId}/events");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        using var http = new HttpClient { BaseAddress = _host.ServerAddress, Timeout = TimeSpan.FromSeconds(90) };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return [];
        }

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var items = new List<SseItem<string>>();
        await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync())
        {
            items.Add(item);
        }

        return items;
    }

    [Fact]
    public async Task The_stream_opens_with_the_state_then_each_change_and_ends_at_completion_with_the_video()
    {
        var jobId = await StartJobAsync(8);
        var items = (await ReadAsync(jobId)).Where(i => i.EventType != "heartbeat").ToList();
        var views = items.Select(i => JsonNode.Parse(i.Data)!).ToList();

        Assert.Equal("status", items[0].EventType);
        Assert.Equal(TimeSpan.FromSeconds(2), items[0].ReconnectionInterval);
        Assert.Equal("COMPLETED", views[^1]["status"]!.GetValue<string>());
        Assert.Equal("status", items[^1].EventType);
        Assert.Contains($"/videos/", views[^1]["videoUrl"]!.GetValue<string>());
        Assert.Contains(items, i => i.EventType == "progress");

        // Each event is a change: progress only grows, a status event comes when the status moves, every id differs.
        var progress = views.Select(v => v["progress"]!.GetValue<double>()).ToList();
        Assert.Equal(progress.Order(), progress);
        Assert.Equal(items.Count, items.Select(i => i.EventId).Distinct().Count());
        for (var i = 1; i < items.Count; i++)
        {
            var moved = views[i]["status"]!.GetValue<string>() != views[i - 1]["status"]!.GetValue<string>();
            Assert.Equal(moved ? "status" : "progress", items[i].EventType);
        }
    }

    [Fact]
    public async Task A_failed_jobs_last_event_carries_its_refund_even_when_read_before_the_runner_offered_it()
    {
        using var host = new TestHost(kestrel: true, settings: new()
        {
            ["SatsMotion:Refunds"] = "true",
            ["SatsMotion:EncoderPreset"] = "no-such-preset",
            ["SatsMotion:MaxAttempts"] = "1",
        });
        host.StartServer();
        var body = TestHost.Body();
        var (macaroon, preimage, _) = await host.BuyAsync(body);
        string jobId;
        using (var failed = await host.AnimateAsync(body, TestHost.Credential(macaroon, preimage), "wait=60"))
        {
            jobId = (await host.JsonAsync(failed))["jobId"]!.GetValue<string>();
        }

        // The moment between the runner recording the failure and offering its refund, made to last.
        using (var connection = host.Services.GetRequiredService<Database>().Open())
        using (var delete = connection.Sql("DELETE FROM refunds WHERE job_id = @job", ("@job", jobId)))
        {
            Assert.Equal(1, delete.ExecuteNonQuery());
        }

        using var http = new HttpClient { BaseAddress = host.ServerAddress, Timeout = TimeSpan.FromSeconds(30) };
        var last = await SseParser.Create(await http.GetStreamAsync($"/api/l402/jobs/{jobId}/events")).EnumerateAsync().LastAsync();
        var view = JsonNode.Parse(last.Data)!;
        Assert.Equal("FAILED", view["status"]!.GetValue<string>());
        Assert.Equal("available", view["refund"]?["status"]?.GetValue<string>());
    }

    [Fact]
    public async Task A_quiet_stream_carries_a_heartbeat_so_proxies_keep_it_open()
    {
        var model = new HeldMotionModel { Hold = true };
        using var host = new TestHost(kestrel: true, services: s => s.AddSingleton(new SatsMotion.Video.Models.ModelCatalog([model])));
        host.StartServer();
        var body = TestHost.Body();
        var (macaroon, preimage, _) = await host.BuyAsync(body);
        string jobId;
        using (var response = await host.AnimateAsync(body, TestHost.Credential(macaroon, preimage), "respond-async"))
        {
            jobId = (await host.JsonAsync(response))["jobId"]!.GetValue<string>();
        }

        await model.Running.Task;
        using var http = new HttpClient { BaseAddress = host.ServerAddress, Timeout = TimeSpan.FromSeconds(90) };
        using var stream = await http.GetStreamAsync($"/api/l402/jobs/{jobId}/events");
        var opened = System.Diagnostics.Stopwatch.StartNew();
        using var deadline = new CancellationTokenSource(Api.JobEventStream.Heartbeat + TimeSpan.FromSeconds(20)); // fails rather than waits for the stream's end
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(deadline.Token))
        {
            if (item.EventType == "heartbeat")
            {
                // Nothing changed while the job was held: the heartbeat came on its own schedule.
                Assert.InRange(opened.Elapsed, Api.JobEventStream.Heartbeat - TimeSpan.FromSeconds(1), Api.JobEventStream.Heartbeat + TimeSpan.FromSeconds(10));
                break;
            }

            Assert.Equal("status", item.EventType); // the opening state only
        }

        model.Release.SetResult();
        Assert.True(opened.Elapsed >= Api.JobEventStream.Heartbeat - TimeSpan.FromSeconds(1), "the stream ended without a heartbeat");
    }

    [Fact]
    public async Task A_reconnect_with_the_last_id_of_a_finished_job_is_told_there_is_no_more_and_an_earlier_id_gets_the_end()
    {
        var jobId = await StartJobAsync(3);
        var all = await ReadAsync(jobId);
        var last = all[^1];

        using var http = new HttpClient { BaseAddress = _host.ServerAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/l402/jobs/{jobId}/events");
        request.Headers.Add("Last-Event-ID", last.EventId);
        using var done = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NoContent, done.StatusCode); // EventSource stops reconnecting on 204

        var resumed = await ReadAsync(jobId, "PROCESSING.100");
        Assert.Equal((last.EventId, "status"), (resumed.Single().EventId, resumed.Single().EventType));
    }

    [Fact]
    public async Task An_unknown_job_is_a_404_with_a_json_body()
    {
        using var http = new HttpClient { BaseAddress = _host.ServerAddress };
        using var response = await http.GetAsync($"/api/l402/jobs/{new string('a', 32)}/events");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("JOB_NOT_FOUND", (await _host.JsonAsync(response))["error_code"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_npm_eventsource_client_follows_a_job_to_its_video()
    {
        var jobId = await StartJobAsync(8);
        var result = await NodeScript.RunAsync("eventsource-read.mjs", new { url = new Uri(_host.ServerAddress, $"/api/l402/jobs/{jobId}/events").ToString() }, TimeSpan.FromSeconds(90));
        var events = result["events"]!.AsArray();
        Assert.Equal("status", events[0]!["type"]!.GetValue<string>());
        Assert.Equal("COMPLETED", events[^1]!["status"]!.GetValue<string>());
        Assert.NotNull(events[^1]!["videoUrl"]!.GetValue<string>());
        Assert.Contains(events, e => e!["type"]!.GetValue<string>() == "progress");
        Assert.All(events, e => Assert.Matches(@"^(QUEUED|PROCESSING|COMPLETED|FAILED)\.\d+$", e!["id"]!.GetValue<string>()));
    }

    public void Dispose() => _host.Dispose();
}
