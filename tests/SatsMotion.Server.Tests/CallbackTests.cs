using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Server.Callbacks;
using SatsMotion.Testing;

namespace SatsMotion.Server.Tests;

/// <summary>
/// Completion webhooks on the real server: the callback is checked before any invoice and is part of what the token
/// pays for; each event reaches a local receiver signed so that the independent npm verifier accepts it, with one
/// webhook-id across retries; a receiver that refuses, answers 410 or keeps failing is given up on as promised.
/// </summary>
public sealed class CallbackTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> Loopback = new() { ["SatsMotion:Callbacks:AllowLoopback"] = "true" };

    private readonly WebhookReceiver _receiver = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    public static string Body(string? callbackUrl, string? callbackId = null, string prompt = "slow zoom in")
    {
        var body = JsonNode.Parse(TestHost.Body(prompt))!;
        body["callback_url"] = callbackUrl;
        if (callbackId is not null)
        {
            body["callback_id"] = callbackId;
        }

        return body.ToJsonString();
    }

    private static async Task<(JsonNode Answer, string Credential)> PaidJobAsync(TestHost host, string body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var (macaroon, preimage, _) = await host.BuyAsync(body);
        var credential = TestHost.Credential(macaroon, preimage);
        using var response = await host.AnimateAsync(body, credential, "wait=60");
        var answer = await host.JsonAsync(response);
        Assert.True(response.StatusCode == expected, answer.ToJsonString());
        return (answer, credential);
    }

    private static Task<JsonNode> VerifyAsync(string secret, params ReceivedWebhook[] deliveries) =>
        NodeScript.RunAsync("webhook-verify.mjs", new { secret, deliveries = deliveries.Select(d => new { headers = d.Headers, body = d.Body }) });

    private static async Task<WebhookDelivery> DeliveryAsync(TestHost host, string jobId, Func<WebhookDelivery, bool> until)
    {
        var outbox = host.Services.GetRequiredService<WebhookOutbox>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var delivery = (await outbox.ListForJobAsync(jobId, CancellationToken.None)).Single();
            if (until(delivery))
            {
                return delivery;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the delivery stayed {delivery}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_completed_job_reaches_the_receiver_signed_as_standardwebhooks_verifies_and_only_its_token_holder_can_check_it()
    {
        using var host = new TestHost(settings: new(Loopback));
        var body = Body(_receiver.Address.ToString(), "order-42");
        var (answer, credential) = await PaidJobAsync(host, body);
        var secret = answer["webhook_secret"]!.GetValue<string>();
        Assert.StartsWith("whsec_", secret);
        Assert.Equal(_receiver.Address.ToString(), answer["callback_url"]!.GetValue<string>());

        var delivery = (await _receiver.WaitForAsync(1)).Single();
        Assert.Matches("^msg_[0-9a-f]{32}$", delivery.Id);
        Assert.StartsWith("application/json", delivery.Headers["content-type"]);

        var checks = (await VerifyAsync(secret, delivery))["results"]!.AsArray();
        Assert.True(checks[0]!["ok"]!.GetValue<bool>(), checks.ToJsonString());
        var payload = checks[0]!["payload"]!;
        Assert.Equal("job.completed", payload["type"]!.GetValue<string>());
        Assert.Equal(answer["jobId"]!.GetValue<string>(), payload["data"]!["jobId"]!.GetValue<string>());
        Assert.Equal("COMPLETED", payload["data"]!["status"]!.GetValue<string>());
        Assert.Equal("order-42", payload["data"]!["callback_id"]!.GetValue<string>());
        Assert.Equal(answer["videoUrl"]!.GetValue<string>(), payload["data"]!["videoUrl"]!.GetValue<string>());

        // A changed body, or another token's secret, fails the same verifier.
        var tampered = delivery with { Body = delivery.Body.Replace("order-42", "order-43") };
        var other = await PaidJobAsync(host, Body(_receiver.Address.ToString(), "other"));
        var refused = (await VerifyAsync(secret, tampered))["results"]![0]!;
        Assert.False(refused["ok"]!.GetValue<bool>());
        Assert.False((await VerifyAsync(other.Answer["webhook_secret"]!.GetValue<string>(), delivery))["results"]![0]!["ok"]!.GetValue<bool>());

        // Redeeming again answers with the same secret and queues no second event.
        using var again = await host.AnimateAsync(body, credential);
        Assert.Equal(secret, (await host.JsonAsync(again))["webhook_secret"]!.GetValue<string>());
        var kept = await DeliveryAsync(host, answer["jobId"]!.GetValue<string>(), d => d.DeliveredAt is not null);
        Assert.Equal((delivery.Id, 1, 200), (kept.Id, kept.Attempts, kept.LastStatus));
    }

    [Fact]
    public async Task Without_a_callback_the_paid_answer_carries_no_secret_and_nothing_is_queued()
    {
        using var host = new TestHost(settings: new(Loopback));
        var (answer, _) = await PaidJobAsync(host, TestHost.Body());
        Assert.Null(answer["webhook_secret"]);
        Assert.Equal(0, host.Count("webhook_deliveries"));
    }

    [Fact]
    public async Task A_failed_job_sends_job_failed_with_its_reason_and_refund_offer()
    {
        using var host = new TestHost(settings: new(Loopback)
        {
            ["SatsMotion:Refunds"] = "true",
            ["SatsMotion:EncoderPreset"] = "no-such-preset",
            ["SatsMotion:MaxAttempts"] = "1",
        });
        var (answer, _) = await PaidJobAsync(host, Body(_receiver.Address.ToString()), HttpStatusCode.InternalServerError);
        var delivery = (await _receiver.WaitForAsync(1)).Single();
        var payload = (await VerifyAsync(answer["webhook_secret"]!.GetValue<string>(), delivery))["results"]![0]!["payload"]!;
        Assert.Equal("job.failed", payload["type"]!.GetValue<string>());
        Assert.Equal("FAILED", payload["data"]!["status"]!.GetValue<string>());
        Assert.Equal(answer["reason_code"]!.GetValue<string>(), payload["data"]!["reason_code"]!.GetValue<string>());
        Assert.Equal("available", payload["data"]!["refund"]!["status"]!.GetValue<string>());
        Assert.Equal(answer["refund"]!["lnurl"]!.GetValue<string>(), payload["data"]!["refund"]!["lnurl"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_failed_attempt_is_retried_on_schedule_with_the_same_id_and_body()
    {
        var clock = new ManualClock();
        using var host = new TestHost(clock: clock, settings: new(Loopback));
        _receiver.Answer = n => n == 0 ? 500 : 200;
        var (answer, _) = await PaidJobAsync(host, Body(_receiver.Address.ToString()));
        var jobId = answer["jobId"]!.GetValue<string>();
        await _receiver.WaitForAsync(1);
        var failed = await DeliveryAsync(host, jobId, d => d.LastStatus == 500);
        Assert.Null(failed.DeliveredAt);

        // Not before the first retry's time (10 s, less its jitter), then within it.
        clock.Advance(TimeSpan.FromSeconds(7));
        Assert.Equal(failed.Attempts, (await DeliveryAsync(host, jobId, _ => true)).Attempts);
        clock.Advance(TimeSpan.FromSeconds(6));
        var received = await _receiver.WaitForAsync(2);
        Assert.Equal(received[0].Id, received[1].Id);
        Assert.Equal(received[0].Body, received[1].Body);
        var checks = (await VerifyAsync(answer["webhook_secret"]!.GetValue<string>(), [.. received]))["results"]!.AsArray();
        Assert.All(checks, c => Assert.True(c!["ok"]!.GetValue<bool>()));
        var delivered = await DeliveryAsync(host, jobId, d => d.DeliveredAt is not null);
        Assert.Equal((2, 200), (delivered.Attempts, delivered.LastStatus));
    }

    [Fact]
    public async Task A_receiver_that_answers_410_is_not_tried_again_and_one_that_keeps_failing_is_given_up_after_a_day()
    {
        var clock = new ManualClock();
        using var host = new TestHost(clock: clock, settings: new(Loopback));
        _receiver.Answer = n => n == 0 ? 410 : 503;
        var gone = (await PaidJobAsync(host, Body(_receiver.Address.ToString(), "gone"))).Answer["jobId"]!.GetValue<string>();
        var given = await DeliveryAsync(host, gone, d => d.GaveUpAt is not null);
        Assert.Equal((1, 410), (given.Attempts, given.LastStatus));

        var failing = (await PaidJobAsync(host, Body(_receiver.Address.ToString(), "failing"))).Answer["jobId"]!.GetValue<string>();
        await DeliveryAsync(host, failing, d => d.LastStatus == 503);
        clock.Advance(TimeSpan.FromHours(26));
        var last = await DeliveryAsync(host, failing, d => d.GaveUpAt is not null);
        Assert.Equal(2, last.Attempts);
        Assert.Equal(3, _receiver.Received.Count);
        Assert.Equal(0, await host.Services.GetRequiredService<WebhookOutbox>().CountPendingAsync(CancellationToken.None));
    }

    [Fact]
    public async Task The_202_of_a_request_with_a_callback_carries_the_secret_its_delivery_verifies_with()
    {
        using var host = new TestHost(settings: new(Loopback));
        var body = Body(_receiver.Address.ToString(), "async-1");
        var (macaroon, preimage, _) = await host.BuyAsync(body);
        using var response = await host.AnimateAsync(body, TestHost.Credential(macaroon, preimage), "respond-async");
        var answer = await host.JsonAsync(response);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var secret = answer["webhook_secret"]!.GetValue<string>();
        Assert.StartsWith("whsec_", secret);

        var check = (await VerifyAsync(secret, (await _receiver.WaitForAsync(1)).Single()))["results"]![0]!;
        Assert.True(check["ok"]!.GetValue<bool>(), check.ToJsonString());
        Assert.Equal(answer["jobId"]!.GetValue<string>(), check["payload"]!["data"]!["jobId"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_receiver_that_redirects_is_not_followed_and_the_attempt_counts_as_failed()
    {
        await using var elsewhere = new WebhookReceiver();
        _receiver.Answer = _ => 302;
        _receiver.Location = elsewhere.Address;
        using var host = new TestHost(settings: new(Loopback));
        var (answer, _) = await PaidJobAsync(host, Body(_receiver.Address.ToString()));
        var failed = await DeliveryAsync(host, answer["jobId"]!.GetValue<string>(), d => d.LastStatus is not null);
        Assert.Equal((302, null), (failed.LastStatus, failed.DeliveredAt));
        Assert.Null(failed.GaveUpAt); // tried again later, on schedule
        Assert.Single(_receiver.Received);
        Assert.Empty(elsewhere.Received);
    }

    [Fact]
    public async Task A_failure_retried_before_its_event_went_out_sends_no_job_failed_only_the_retrys_end()
    {
        // One sender, held by a receiver that hangs, so the failure's event waits while its token retries the job.
        await using var hanging = new WebhookReceiver { Answer = _ => 0 };
        var model = new HeldMotionModel();
        using var host = new TestHost(settings: new(Loopback) { ["SatsMotion:Callbacks:Concurrency"] = "1", ["SatsMotion:Callbacks:Timeout"] = "00:01:00", ["SatsMotion:Refunds"] = "true", ["SatsMotion:MaxAttempts"] = "1" },
            services: s => s.AddSingleton(new SatsMotion.Video.Models.ModelCatalog([model])));
        await PaidJobAsync(host, Body(hanging.Address.ToString(), "held"));
        await hanging.WaitForAsync(1);

        model.FailNext = true;
        var body = Body(_receiver.Address.ToString(), "retried");
        var (failed, credential) = await PaidJobAsync(host, body, HttpStatusCode.InternalServerError);
        model.Hold = true;
        var jobId = failed["jobId"]!.GetValue<string>();
        using (var retried = await host.AnimateAsync(body, credential, "respond-async"))
        {
            Assert.Equal(HttpStatusCode.Accepted, retried.StatusCode);
        }

        await model.Running.Task; // the retry runs, held
        hanging.Release();
        var superseded = await DeliveryAsync(host, jobId, d => d.GaveUpAt is not null);
        Assert.Equal(WebhookEvents.Failed, superseded.Event);
        Assert.StartsWith("superseded", superseded.LastError);

        model.Release.SetResult();
        var delivery = (await _receiver.WaitForAsync(1)).Single();
        var payload = (await VerifyAsync(failed["webhook_secret"]!.GetValue<string>(), delivery))["results"]![0]!["payload"]!;
        Assert.Equal(("job.completed", "COMPLETED"), (payload["type"]!.GetValue<string>(), payload["data"]!["status"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_receiver_that_hangs_does_not_hold_up_the_delivery_of_another_job()
    {
        await using var hanging = new WebhookReceiver { Answer = _ => 0 };
        using var host = new TestHost(settings: new(Loopback) { ["SatsMotion:Callbacks:Timeout"] = "00:01:00" });
        var (stuck, _) = await PaidJobAsync(host, Body(hanging.Address.ToString(), "stuck"));
        await hanging.WaitForAsync(1); // its attempt is open, and stays so for a minute

        var (other, _) = await PaidJobAsync(host, Body(_receiver.Address.ToString(), "other"));
        var delivered = (await _receiver.WaitForAsync(1, TimeSpan.FromSeconds(20))).Single();
        Assert.Contains("\"other\"", delivered.Body);
        Assert.NotNull((await DeliveryAsync(host, other["jobId"]!.GetValue<string>(), d => d.DeliveredAt is not null)).DeliveredAt);
        var open = (await host.Services.GetRequiredService<WebhookOutbox>().ListForJobAsync(stuck["jobId"]!.GetValue<string>(), CancellationToken.None)).Single();
        Assert.Equal((1, null, null), (open.Attempts, open.LastStatus, open.DeliveredAt)); // still waiting on the hanging receiver
    }

    [Fact]
    public async Task Delivered_and_failed_attempts_move_the_webhook_metrics()
    {
        static async Task<double> AttemptsAsync(HttpClient http, string outcome)
        {
            var line = (await http.GetStringAsync("/metrics")).Split('\n').SingleOrDefault(l => l.StartsWith($"satsmotion_webhook_attempts_total{{outcome=\"{outcome}\"}} ", StringComparison.Ordinal));
            return line is null ? 0 : double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        }

        var clock = new ManualClock();
        using var host = new TestHost(clock: clock, settings: new(Loopback));
        var http = host.CreateClient();
        var (delivered, failed) = (await AttemptsAsync(http, "delivered"), await AttemptsAsync(http, "failed"));
        _receiver.Answer = n => n == 0 ? 500 : 200;
        var jobId = (await PaidJobAsync(host, Body(_receiver.Address.ToString()))).Answer["jobId"]!.GetValue<string>();
        await DeliveryAsync(host, jobId, d => d.LastStatus == 500);
        clock.Advance(TimeSpan.FromSeconds(13));
        await DeliveryAsync(host, jobId, d => d.DeliveredAt is not null);

        Assert.True(await AttemptsAsync(http, "failed") >= failed + 1, "the failed attempt was not counted");
        Assert.True(await AttemptsAsync(http, "delivered") >= delivered + 1, "the delivery was not counted");
        Assert.Contains("satsmotion_webhooks_pending ", await http.GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task A_receiver_holding_the_secret_given_before_a_rotation_verifies_the_deliveries_sent_after_it()
    {
        var old = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var data = Directory.CreateTempSubdirectory("satsmotion-rotation-").FullName;
        _receiver.Answer = n => n == 0 ? 500 : 200;
        string oldSecret, jobId, credential;
        using (var before = new TestHost(data, settings: new(Loopback) { ["SatsMotion:ServerSecret"] = old }))
        {
            var (answer, paid) = await PaidJobAsync(before, Body(_receiver.Address.ToString()));
            (oldSecret, jobId, credential) = (answer["webhook_secret"]!.GetValue<string>(), answer["jobId"]!.GetValue<string>(), paid);
            await DeliveryAsync(before, jobId, d => d.LastStatus == 500);
        }

        // The server secret is rotated (the old one kept as previous); the retry goes out from the new server.
        var clock = new ManualClock();
        clock.Advance(TimeSpan.FromSeconds(15)); // past the first retry's time
        using var after = new TestHost(data, clock, settings: new(Loopback)
        {
            ["SatsMotion:ServerSecret"] = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
            ["SatsMotion:PreviousServerSecrets:0"] = old,
        });
        await DeliveryAsync(after, jobId, d => d.DeliveredAt is not null);
        var retry = (await _receiver.WaitForAsync(2))[1];

        // The secret the caller holds verifies it, and so does the one the rotated server now gives for the token.
        using var again = await after.AnimateAsync(Body(_receiver.Address.ToString()), credential);
        var newSecret = (await after.JsonAsync(again))["webhook_secret"]!.GetValue<string>();
        Assert.NotEqual(oldSecret, newSecret);
        foreach (var secret in new[] { oldSecret, newSecret })
        {
            var check = (await VerifyAsync(secret, retry))["results"]![0]!;
            Assert.True(check["ok"]!.GetValue<bool>(), check.ToJsonString());
        }
    }

    [Theory]
    [InlineData("http://hooks.example.com/done", "https")]
    [InlineData("ftp://hooks.example.com/done", "https")]
    [InlineData("/relative/path", "absolute")]
    [InlineData("https://10.1.2.3/done", "public")]
    [InlineData("https://169.254.169.254/latest/meta-data", "public")]
    [InlineData("https://[::ffff:127.0.0.1]/done", "public")]
    [InlineData("https://[fd00::1]/done", "public")]
    [InlineData("https://[64:ff9b:1::a00:1]/done", "public")]
    [InlineData("https://[::ffff:0:a00:1]/done", "public")]
    [InlineData("https://localhost/done", "public")]
    [InlineData("https://user:secret@hooks.example.com/done", "credentials")]
    [InlineData("https://hooks.example.com:22/done", "port")]
    [InlineData("https://hooks.example.com/done#part", "fragment")]
    public async Task A_callback_url_that_is_not_a_public_https_address_is_refused_before_any_invoice(string url, string named)
    {
        using var host = new TestHost();
        using var response = await host.AnimateAsync(Body(url));
        var error = await host.JsonAsync(response);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("callback_url", error["field"]!.GetValue<string>());
        Assert.Contains(named, error["error"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, host.Count("dev_invoices"));
    }

    [Theory]
    [InlineData("64:ff9b:1::a00:1")] // local-use NAT64 (RFC 8215) of 10.0.0.1
    [InlineData("64:ff9b:1:808:8:800::")] // local-use NAT64 of 8.8.8.8: the prefix is local whatever it carries
    [InlineData("::ffff:0:a00:1")] // SIIT IPv4-translated (RFC 2765) of 10.0.0.1
    [InlineData("::ffff:0:808:808")] // SIIT of 8.8.8.8: never routed publicly
    [InlineData("64:ff9b::a9fe:a9fe")] // well-known NAT64 of the metadata address
    [InlineData("::ffff:169.254.169.254")] // IPv4-mapped
    [InlineData("::a00:1")] // IPv4-compatible
    [InlineData("2002:a00:1::1")] // 6to4 of 10.0.0.1
    [InlineData("2002:7f00:1::1")] // 6to4 of 127.0.0.1
    [InlineData("2002:a9fe:a9fe::1")] // 6to4 of 169.254.169.254
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2")] // Teredo (RFC 4380's example)
    [InlineData("2001:0:4136:e378:8000:63bf:f5ff:fffe")] // Teredo whose client is 10.0.0.1
    [InlineData("3fff::1")] // documentation (RFC 9637)
    public async Task Ipv6_forms_that_carry_or_lead_to_inside_addresses_are_refused_before_connecting(string address)
    {
        var resolver = new StubResolver(IPAddress.Parse(address));
        var refused = await Assert.ThrowsAsync<CallbackRefusedException>(() => CallbackConnections.AllowedAddressesAsync(resolver, false, "hooks.example.com", CancellationToken.None));
        Assert.Contains("may not reach", refused.Message);
        Assert.Equal(["hooks.example.com"], resolver.Asked);
    }

    [Theory]
    [InlineData("2606:4700:4700::1111")] // public IPv6
    [InlineData("64:ff9b::808:808")] // well-known NAT64 of 8.8.8.8
    [InlineData("2002:808:808::1")] // 6to4 of 8.8.8.8
    [InlineData("::ffff:8.8.8.8")] // IPv4-mapped public
    [InlineData("2001:4860:4860::8888")] // public, just outside 2001::/23
    public async Task Public_addresses_in_those_forms_are_allowed(string address)
    {
        var allowed = await CallbackConnections.AllowedAddressesAsync(new StubResolver(IPAddress.Parse(address)), false, "hooks.example.com", CancellationToken.None);
        Assert.Equal([IPAddress.Parse(address)], allowed);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/hook", true)]
    [InlineData("http://[::1]:8080/hook", true)]
    [InlineData("http://localhost:8080/hook", true)]
    [InlineData("http://127.0.0.2:8080/hook", false)]
    [InlineData("http://10.0.0.1:8080/hook", false)]
    [InlineData("http://hooks.example.com/hook", false)]
    public async Task AllowLoopback_admits_the_three_loopback_names_and_nothing_else_private_or_plain(string url, bool admitted)
    {
        using var host = new TestHost(settings: new(Loopback));
        using var response = await host.AnimateAsync(Body(url));
        Assert.Equal(admitted ? HttpStatusCode.PaymentRequired : HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("""{"callback_id":"x"}""", "callback_id")]
    [InlineData("""{"callback_url":42}""", "callback_url")]
    [InlineData("""{"callback_url":"https://hooks.example.com/x","callback_id":"a\u0007b"}""", "callback_id")]
    public async Task Callback_fields_of_the_wrong_shape_are_named(string fields, string field)
    {
        using var host = new TestHost();
        var body = JsonNode.Parse(TestHost.Body())!.AsObject();
        foreach (var (name, value) in JsonNode.Parse(fields)!.AsObject())
        {
            body[name] = value?.DeepClone();
        }

        using var response = await host.AnimateAsync(body.ToJsonString());
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(field, (await host.JsonAsync(response))["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_callback_is_part_of_the_paid_request_a_token_for_one_target_does_not_redeem_another()
    {
        using var host = new TestHost();
        var (macaroon, preimage, _) = await host.BuyAsync(Body("https://hooks.example.com/a"));
        using var response = await host.AnimateAsync(Body("https://hooks.example.com/b"), TestHost.Credential(macaroon, preimage));
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        Assert.Equal("L402_REQUEST_MISMATCH", (await host.JsonAsync(response))["error_code"]!.GetValue<string>());
        Assert.Equal(0, host.Count("jobs"));
    }

    [Fact]
    public async Task A_public_name_that_resolves_inside_is_refused_at_connect_and_counted_never_sent()
    {
        var resolver = new StubResolver(IPAddress.Parse("169.254.169.254"));
        using var host = new TestHost(services: s => s.AddSingleton<IHostResolver>(resolver));
        var (answer, _) = await PaidJobAsync(host, Body("https://hooks.example.com/done"));
        var refused = await DeliveryAsync(host, answer["jobId"]!.GetValue<string>(), d => d.LastError is not null);
        Assert.StartsWith("refused", refused.LastError);
        Assert.Null(refused.LastStatus);
        Assert.Null(refused.GaveUpAt); // DNS may change back: the schedule goes on
        Assert.Contains("hooks.example.com", resolver.Asked);
    }
}

/// <summary>Answers every name with fixed addresses, and records what it was asked.</summary>
public sealed class StubResolver(params IPAddress[] addresses) : IHostResolver
{
    public System.Collections.Concurrent.ConcurrentBag<string> Asked { get; } = [];

    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        Asked.Add(host);
        return Task.FromResult(addresses);
    }
}
