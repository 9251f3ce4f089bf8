using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Server.Storage;
using SatsMotion.Testing;
using SkiaSharp;

namespace SatsMotion.Server.Tests;

/// <summary>
/// The real server (Program) on a temporary data directory: in process by default, or on real Kestrel on
/// loopback for clients that need a socket. Several hosts may share one data directory, to test restarts.
/// </summary>
public sealed class TestHost : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly bool _kestrel;
    private readonly Action<IServiceCollection>? _services;

    /// <param name="services">Replaces services after the server's own (a stub for what tests must not reach).</param>
    public TestHost(string? dataDirectory = null, ManualClock? clock = null, bool kestrel = false, Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null,
        int kestrelPort = 0)
    {
        _services = services;
        DataDirectory = dataDirectory ?? Directory.CreateTempSubdirectory("satsmotion-test-").FullName;
        Clock = clock;
        _kestrel = kestrel;
        _settings = settings ?? [];
        _settings["SatsMotion:DataDirectory"] = DataDirectory;

        // Tests send many requests from one (in-process: address-less) client; the rate-limit tests set their own.
        foreach (var limit in new[] { "ChallengesPerMinute", "RedemptionsPerMinute", "InvoicePollsPerMinute", "McpCallsPerMinute" })
        {
            _settings.TryAdd($"SatsMotion:RateLimits:{limit}", "0");
        }
        if (kestrel)
        {
            UseKestrel(kestrelPort);
        }
    }

    public string DataDirectory { get; }

    public ManualClock? Clock { get; }

    /// <summary>Base address of the real socket (Kestrel mode) — start the server first.</summary>
    public Uri ServerAddress => ClientOptions.BaseAddress;

    public static byte[] Jpeg(int width = 640, int height = 360) => TestImages.Encode(TestImages.Gradient(width, height), SKEncodedImageFormat.Jpeg);

    public static string Body(string prompt = "slow zoom in", byte[]? image = null, int? duration = 3, object? modelId = null)
    {
        var body = new JsonObject { ["prompt"] = prompt, ["image"] = Convert.ToBase64String(image ?? DefaultImage) };
        if (duration is not null)
        {
            body["duration"] = duration;
        }

        if (modelId is not null)
        {
            body["modelId"] = JsonValue.Create(modelId);
        }

        return body.ToJsonString();
    }

    public static readonly byte[] DefaultImage = Jpeg();

    public async Task<HttpResponseMessage> AnimateAsync(string body, string? authorization = null, string? prefer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/l402/animate-image") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        if (prefer is not null)
        {
            request.Headers.Add("Prefer", prefer);
        }

        return await CreateClient().SendAsync(request);
    }

    /// <summary>Asks for a challenge and pays it through the dev wallet: the credential a paying caller holds.</summary>
    public async Task<(string Macaroon, string Preimage, JsonNode Challenge)> BuyAsync(string body)
    {
        using var response = await AnimateAsync(body);
        Assert.Equal(System.Net.HttpStatusCode.PaymentRequired, response.StatusCode);
        var challenge = (await response.Content.ReadFromJsonAsync<JsonNode>())!;
        var preimage = await PayAsync(challenge["invoice"]!.GetValue<string>());
        return (challenge["macaroon"]!.GetValue<string>(), preimage, challenge);
    }

    public async Task<string> PayAsync(string invoice)
    {
        using var response = await CreateClient().PostAsJsonAsync("/api/dev/pay", new { invoice });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonNode>())!["preimage"]!.GetValue<string>();
    }

    public static string Credential(string macaroon, string preimage) => $"L402 {macaroon}:{preimage}";

    public async Task<JsonNode> JsonAsync(HttpResponseMessage response) => (await response.Content.ReadFromJsonAsync<JsonNode>())!;

    /// <summary>Polls a job until it is finished, or fails the test after the timeout.</summary>
    public async Task<JsonNode> WaitForJobAsync(string jobId, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (DateTime.UtcNow < deadline)
        {
            var job = (await CreateClient().GetFromJsonAsync<JsonNode>($"/api/l402/jobs/{jobId}"))!;
            if (job["status"]!.GetValue<string>() is "COMPLETED" or "FAILED")
            {
                return job;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"job {jobId} did not finish");
    }

    public long Count(string table)
    {
        using var connection = Services.GetRequiredService<Database>().Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {table}";
        return (long)command.ExecuteScalar()!;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        if (Clock is not null)
        {
            builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
        }

        if (_services is not null)
        {
            builder.ConfigureTestServices(_services);
        }
    }
}
