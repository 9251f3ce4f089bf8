using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace SatsMotion.Server.Tests;

/// <summary>
/// What anonymous callers meet before the paid API: per-address rate limits (429 with Retry-After and the JSON
/// error), forwarded addresses only from trusted proxies, CORS that exposes WWW-Authenticate and nothing more,
/// security headers, request ids, and the operator's /readyz and /metrics.
/// </summary>
public sealed class HardeningTests
{
    private static TestHost Limited(Dictionary<string, string?> settings)
    {
        var host = new TestHost(kestrel: true, settings: settings);
        host.StartServer();
        return host;
    }

    private static async Task<HttpStatusCode> PostAsync(HttpClient http, string? forwardedFor = null, string? authorization = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/l402/animate-image") { Content = new StringContent(TestHost.Body(), Encoding.UTF8, "application/json") };
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        request.Headers.Add("Prefer", "respond-async");
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Challenges_beyond_the_limit_are_429_with_retry_after_and_the_json_error_while_redemptions_count_apart()
    {
        using var host = Limited(new() { ["SatsMotion:RateLimits:ChallengesPerMinute"] = "3" });
        using var http = new HttpClient { BaseAddress = host.ServerAddress };
        var (macaroon, preimage, _) = await host.BuyAsync(TestHost.Body());
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.PaymentRequired, await PostAsync(http));
        }

        using var refused = await http.PostAsync("/api/l402/animate-image", new StringContent(TestHost.Body(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        var error = (await refused.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Equal("RATE_LIMITED", error["error_code"]!.GetValue<string>());
        Assert.Empty(refused.Headers.WwwAuthenticate);
        Assert.Equal(3, host.Count("dev_invoices"));

        // The paid caller is not locked out by its own (or a neighbour's) unpaid requests.
        Assert.Equal(HttpStatusCode.Accepted, await PostAsync(http, authorization: TestHost.Credential(macaroon, preimage)));
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit()
    {
        using var host = Limited(new() { ["SatsMotion:RateLimits:ChallengesPerMinute"] = "2", ["SatsMotion:TrustedProxies:0"] = "127.0.0.1" });
        using var http = new HttpClient { BaseAddress = host.ServerAddress };
        Assert.Equal(HttpStatusCode.PaymentRequired, await PostAsync(http, "203.0.113.5"));
        Assert.Equal(HttpStatusCode.PaymentRequired, await PostAsync(http, "203.0.113.5"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await PostAsync(http, "203.0.113.5"));
        Assert.Equal(HttpStatusCode.PaymentRequired, await PostAsync(http, "203.0.113.6"));
    }

    [Fact]
    public async Task Without_trusted_proxies_a_forged_forwarded_address_changes_nothing()
    {
        using var host = Limited(new() { ["SatsMotion:RateLimits:ChallengesPerMinute"] = "2" });
        using var http = new HttpClient { BaseAddress = host.ServerAddress };
        var statuses = new List<HttpStatusCode> { await PostAsync(http, "203.0.113.5"), await PostAsync(http, "203.0.113.6"), await PostAsync(http, "203.0.113.7"), await PostAsync(http) };
        Assert.Equal([HttpStatusCode.PaymentRequired, HttpStatusCode.PaymentRequired, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task Invoice_polls_beyond_the_limit_are_429()
    {
        using var host = Limited(new() { ["SatsMotion:RateLimits:InvoicePollsPerMinute"] = "2" });
        using var challenge = await host.AnimateAsync(TestHost.Body());
        var json = await host.JsonAsync(challenge);
        using var http = new HttpClient { BaseAddress = host.ServerAddress };
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/l402/invoices/{json["payment_hash"]}");
            request.Headers.TryAddWithoutValidation("Authorization", $"L402 {json["macaroon"]}");
            using var response = await http.SendAsync(request);
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task Browsers_may_call_the_api_from_any_origin_and_read_WWW_Authenticate_and_Payment_Receipt_and_nothing_more()
    {
        using var host = new TestHost();
        var http = host.CreateClient();
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/l402/animate-image");
        preflight.Headers.Add("Origin", "https://agent.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        using var allowed = await http.SendAsync(preflight);
        Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        Assert.Equal("*", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/l402/animate-image") { Content = new StringContent(TestHost.Body(), Encoding.UTF8, "application/json") };
        request.Headers.Add("Origin", "https://agent.example");
        using var challenge = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.PaymentRequired, challenge.StatusCode);
        Assert.Equal("WWW-Authenticate,Payment-Receipt", challenge.Headers.GetValues("Access-Control-Expose-Headers").Single());
    }

    [Fact]
    public async Task The_page_and_the_api_carry_security_headers_and_a_request_id()
    {
        using var host = new TestHost();
        var http = host.CreateClient();
        using var page = await http.GetAsync("/");
        Assert.Contains("frame-ancestors 'none'", page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
        Assert.Matches("^[0-9a-f]{16}$", page.Headers.GetValues("X-Request-Id").Single());

        using var mine = new HttpRequestMessage(HttpMethod.Get, "/api/l402/models");
        mine.Headers.Add("X-Request-Id", "lb-7f3a.42");
        using var echoed = await http.SendAsync(mine);
        Assert.Equal("lb-7f3a.42", echoed.Headers.GetValues("X-Request-Id").Single());

        using var forged = new HttpRequestMessage(HttpMethod.Get, "/api/l402/models");
        forged.Headers.TryAddWithoutValidation("X-Request-Id", "<script>alert(1)</script>");
        using var replaced = await http.SendAsync(forged);
        Assert.Matches("^[0-9a-f]{16}$", replaced.Headers.GetValues("X-Request-Id").Single());
    }

    [Fact]
    public async Task Readyz_names_each_check_and_metrics_count_the_money_path()
    {
        using var host = new TestHost();
        var http = host.CreateClient();
        using var ready = await http.GetAsync("/readyz");
        var report = (await ready.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("healthy", report["status"]!.GetValue<string>());
        Assert.Equal(["store", "video-storage", "lightning", "ffmpeg", "models"], report["checks"]!.AsObject().Select(c => c.Key));

        var body = TestHost.Body(prompt: "metrics zoom");
        var (macaroon, preimage, _) = await host.BuyAsync(body);
        using var paid = await host.AnimateAsync(body, TestHost.Credential(macaroon, preimage));
        Assert.Equal(HttpStatusCode.OK, paid.StatusCode);
        var metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("satsmotion_challenges_issued_total{model=\"motion\",scheme=\"l402\"}", metrics);
        Assert.Contains("satsmotion_challenges_issued_total{model=\"motion\",scheme=\"mpp\"}", metrics);
        Assert.Contains("satsmotion_redemptions_total{outcome=\"new_job\",scheme=\"l402\"}", metrics);
        Assert.Contains("satsmotion_sats_earned_total{model=\"motion\"}", metrics);
        Assert.Contains("satsmotion_job_duration_seconds_count{model=\"motion\"}", metrics);
        Assert.DoesNotContain(preimage, metrics);
    }
}
