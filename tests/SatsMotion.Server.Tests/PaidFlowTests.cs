using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SatsMotion.L402.Macaroons;
using SatsMotion.Lightning.Bolt11;
using SatsMotion.Testing;

namespace SatsMotion.Server.Tests;

/// <summary>The three steps of the reference flow, on the embedded defaults, in process.</summary>
public sealed class PaidFlowTests : IDisposable
{
    private readonly TestHost _host = new();

    [Fact]
    public async Task Challenge_pay_redeem_gives_a_video_of_the_asked_length()
    {
        var body = TestHost.Body(duration: 3);
        var (macaroon, preimage, _) = await _host.BuyAsync(body);

        using var redeemed = await _host.AnimateAsync(body, TestHost.Credential(macaroon, preimage));
        Assert.Equal(HttpStatusCode.OK, redeemed.StatusCode);
        var job = await _host.JsonAsync(redeemed);
        Assert.Equal("COMPLETED", job["status"]!.GetValue<string>());
        var videoUrl = new Uri(job["videoUrl"]!.GetValue<string>());
        Assert.True(videoUrl.IsAbsoluteUri);
        Assert.Matches("^/videos/[0-9a-f]{32}\\.mp4$", videoUrl.AbsolutePath);

        var path = Path.Combine(_host.DataDirectory, "downloaded.mp4");
        await File.WriteAllBytesAsync(path, await _host.CreateClient().GetByteArrayAsync(videoUrl.PathAndQuery));
        var probe = await Ffprobe.ProbeAsync(path);
        Assert.Equal(3.0, probe.DurationSeconds, 2);
        Assert.Equal(72, probe.Frames);
        Assert.Equal((1280, 720), (probe.Width, probe.Height));
    }

    [Fact]
    public async Task Challenge_has_the_exact_header_and_a_body_that_agrees_with_it()
    {
        using var response = await _host.AnimateAsync(TestHost.Body(duration: 7));
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        Assert.Equal(["L402", "Payment"], response.Headers.WwwAuthenticate.Select(h => h.Scheme)); // SatsMotion:PaymentSchemes "l402,mpp"
        var header = response.Headers.WwwAuthenticate.First().ToString();
        var match = Regex.Match(header, "^L402 macaroon=\"([A-Za-z0-9+/]+={0,2})\", invoice=\"(lnbcrt[0-9a-z]+)\"$");
        Assert.True(match.Success, header);

        var body = await _host.JsonAsync(response);
        Assert.Equal("PAYMENT_REQUIRED", body["error_code"]!.GetValue<string>());
        Assert.Equal(700, body["price_sats"]!.GetValue<long>());
        Assert.Equal(match.Groups[1].Value, body["macaroon"]!.GetValue<string>());
        Assert.Equal(match.Groups[2].Value, body["invoice"]!.GetValue<string>());

        var invoice = Bolt11Codec.Decode(match.Groups[2].Value);
        Assert.Equal(700_000, invoice.AmountMsat);
        Assert.Equal(TimeSpan.FromMinutes(10), invoice.Expiry);
        Assert.Equal(body["payment_hash"]!.GetValue<string>(), invoice.PaymentHashHex);
        Assert.Equal(invoice.ExpiresAt, body["expires_at"]!.GetValue<DateTimeOffset>());

        var macaroon = MacaroonSerializer.Deserialize(match.Groups[1].Value);
        var caveats = macaroon.Caveats.Select(c => System.Text.Encoding.UTF8.GetString(c.Identifier)).ToList();
        Assert.Contains("services=animate-image:0", caveats);
        Assert.Contains(caveats, c => c.StartsWith("request_hash=", StringComparison.Ordinal));
        Assert.Equal(invoice.PaymentHash, macaroon.Identifier[2..34]);
    }

    [Theory]
    [InlineData(null, 500)]
    [InlineData(3, 300)]
    [InlineData(15, 1500)]
    public async Task Price_is_duration_times_100(int? duration, long price)
    {
        using var response = await _host.AnimateAsync(TestHost.Body(duration: duration));
        Assert.Equal(price, (await _host.JsonAsync(response))["price_sats"]!.GetValue<long>());
    }

    [Fact]
    public async Task Replaying_the_credential_returns_the_same_job_and_video_without_a_second_run()
    {
        var body = TestHost.Body();
        var (macaroon, preimage, _) = await _host.BuyAsync(body);
        var first = await _host.JsonAsync(await _host.AnimateAsync(body, TestHost.Credential(macaroon, preimage)));
        var second = await _host.JsonAsync(await _host.AnimateAsync(body, TestHost.Credential(macaroon, preimage)));
        Assert.Equal(first["jobId"]!.GetValue<string>(), second["jobId"]!.GetValue<string>());
        Assert.Equal(first["videoUrl"]!.GetValue<string>(), second["videoUrl"]!.GetValue<string>());
        Assert.Equal(1, _host.Count("jobs"));
        var job = await _host.CreateClient().GetFromJsonAsync<JsonNode>($"/api/l402/jobs/{first["jobId"]}");
        Assert.Equal(first["completed_at"]!.GetValue<DateTimeOffset>(), job!["completed_at"]!.GetValue<DateTimeOffset>());
    }

    [Fact]
    public async Task The_same_request_in_another_byte_form_redeems_the_same_token()
    {
        var image = Convert.ToBase64String(TestHost.DefaultImage);
        var (macaroon, preimage, _) = await _host.BuyAsync($$"""{"prompt":"slow zoom in","image":"{{image}}"}""");
        var credential = TestHost.Credential(macaroon, preimage);
        var wrapped = string.Join("\n", image.Chunk(76).Select(c => new string(c)));
        string[] forms =
        [
            $$"""{"image":"data:image/jpeg;base64,{{image}}","duration":5,"prompt":"slow zoom in"}""",
            $$"""  { "prompt" : "slow zoom in" , "modelId" : 1 , "image" : "{{image.TrimEnd('=')}}" }  """,
            $$"""{"prompt":"slow zoom in","modelId":"motion","image":"{{wrapped.Replace("\n", "\\n")}}","duration":5}""",
            $$"""{"prompt":"slow zoom in","image":"{{image.Replace("/", "\\/").Replace("+", "\\u002B")}}"}""",
        ];
        var jobs = new HashSet<string>();
        foreach (var form in forms)
        {
            using var response = await _host.AnimateAsync(form, credential, "respond-async");
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            jobs.Add((await _host.JsonAsync(response))["jobId"]!.GetValue<string>());
        }

        Assert.Single(jobs);
    }

    [Fact]
    public async Task Respond_async_gives_202_with_a_poll_url_that_later_has_the_video()
    {
        var body = TestHost.Body();
        var (macaroon, preimage, _) = await _host.BuyAsync(body);
        using var response = await _host.AnimateAsync(body, TestHost.Credential(macaroon, preimage), "respond-async");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await _host.JsonAsync(response);
        Assert.Equal(accepted["poll_url"]!.GetValue<string>(), response.Headers.Location!.ToString());
        Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter!.Delta);
        Assert.Contains(accepted["status"]!.GetValue<string>(), new[] { "QUEUED", "PROCESSING" });
        Assert.Equal(accepted["jobId"]!.GetValue<string>(), accepted["requestId"]!.GetValue<string>());
        Assert.True(accepted["poll_interval_ms"]!.GetValue<int>() > 0);

        var done = await _host.WaitForJobAsync(accepted["jobId"]!.GetValue<string>());
        Assert.Equal("COMPLETED", done["status"]!.GetValue<string>());
        Assert.Equal(1.0, done["progress"]!.GetValue<double>());

        var alias = await _host.CreateClient().GetFromJsonAsync<JsonNode>($"/api/l402/job-status?requestId={accepted["jobId"]}&jobType=video");
        Assert.Equal("COMPLETED", alias!["status"]!.GetValue<string>());
        Assert.Equal(done["videoUrl"]!.GetValue<string>(), alias["result"]!["url"]!.GetValue<string>());
    }

    [Fact]
    public async Task Concurrent_redemptions_of_one_token_make_one_job()
    {
        var body = TestHost.Body();
        var (macaroon, preimage, _) = await _host.BuyAsync(body);
        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => _host.AnimateAsync(body, TestHost.Credential(macaroon, preimage), "respond-async")));
        var ids = new HashSet<string>();
        foreach (var response in responses)
        {
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted);
            ids.Add((await _host.JsonAsync(response))["jobId"]!.GetValue<string>());
        }

        Assert.Single(ids);
        Assert.Equal(1, _host.Count("jobs"));
        Assert.Single(Directory.GetFiles(Path.Combine(_host.DataDirectory, "uploads")));
        await _host.WaitForJobAsync(ids.Single());
    }

    public void Dispose() => _host.Dispose();
}
