using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Backends.Tests.Video;
using SatsMotion.Backends.Tests.Video.Replicate;
using SatsMotion.Server.Storage;
using SatsMotion.Server.Tests;
using SatsMotion.Testing;

namespace SatsMotion.Backends.Tests;

/// <summary>
/// The operator console in Debian's Chromium, as an operator would use it (tests/interop/admin-console.mjs): after
/// paid flows on the local model, a job that fails at the (fake) provider and its refund claimed by an independent
/// LNURL wallet, and a challenge nobody paid, the console's earnings, funnel, jobs, refunds and health equal what the
/// store holds; a token is revoked through the job page's form. Screenshots at desktop and phone widths go to
/// TestResults/screenshots.
/// </summary>
public sealed class AdminConsoleBrowserTests : IAsyncLifetime
{
    private static readonly string Screenshots = Path.Combine(RepositoryPaths.Root, "TestResults", "screenshots");
    private readonly FakeReplicate _provider = new();
    private TestHost _host = null!;

    public async Task InitializeAsync()
    {
        await _provider.StartAsync();
        _provider.Mode = ProviderMode.Fail;
        var settings = Path.Combine(Directory.CreateTempSubdirectory("console-").FullName, "settings.json");
        await File.WriteAllTextAsync(settings, new JsonObject
        {
            ["SatsMotion"] = new JsonObject { ["Models"] = _provider.MotionAndRemoteModels(), ["Refunds"] = true, ["MaxAttempts"] = 1 },
        }.ToJsonString());
        _host = new TestHost(kestrel: true, settings: new() { ["config"] = settings });
        _host.StartServer();
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _provider.DisposeAsync();
    }

    private async Task<JsonNode> PaidJobAsync(string prompt, int duration, string model)
    {
        var body = TestHost.Body(prompt, duration: duration, modelId: model);
        var (macaroon, preimage, _) = await _host.BuyAsync(body);
        using var response = await _host.AnimateAsync(body, TestHost.Credential(macaroon, preimage), "wait=60");
        return await _host.JsonAsync(response);
    }

    private long Scalar(string sql)
    {
        using var connection = _host.Services.GetRequiredService<Database>().Open();
        using var command = connection.Sql(sql);
        var value = command.ExecuteScalar();
        return value is DBNull ? 0 : Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task An_operator_signs_in_sees_what_the_store_holds_and_revokes_a_token()
    {
        var completed = new List<JsonNode>();
        foreach (var duration in new[] { 3, 4, 5 })
        {
            var paid = await PaidJobAsync($"zoom {duration}", duration, "motion");
            Assert.Equal("COMPLETED", paid["status"]!.GetValue<string>());
            completed.Add(paid);
        }

        var failed = await PaidJobAsync("wave", 3, "remote");
        Assert.Equal("FAILED", failed["status"]!.GetValue<string>());
        var claim = await NodeScript.RunAsync("lnurl-withdraw.mjs", new { lnurl = failed["refund"]!["lnurl"]!.GetValue<string>() });
        Assert.Equal("OK", claim["answer"]!["status"]!.GetValue<string>());
        using (var unpaid = await _host.AnimateAsync(TestHost.Body("nobody pays this")))
        {
            Assert.Equal(HttpStatusCode.PaymentRequired, unpaid.StatusCode);
        }

        var jobToRevoke = completed[0]["jobId"]!.GetValue<string>();
        var tokenToRevoke = TokenOf(jobToRevoke);
        var result = await NodeScript.RunAsync("admin-console.mjs", new
        {
            baseUrl = _host.ServerAddress.ToString(),
            adminKey = (await File.ReadAllTextAsync(Path.Combine(_host.DataDirectory, "admin.key"))).Trim(),
            screenshotDir = Directory.CreateDirectory(Screenshots).FullName,
            jobToRevoke,
        }, TimeSpan.FromSeconds(150));

        Assert.Empty(result["pageErrors"]!.AsArray());
        Assert.Equal("/admin/sign-in", result["redirectedTo"]!.GetValue<string>());
        Assert.Equal("That is not the admin key.", result["wrongKeyMessage"]!.GetValue<string>());
        var cookie = Assert.Single(result["cookie"]!.AsArray())!;
        Assert.True(cookie["httpOnly"]!.GetValue<bool>());
        Assert.Equal("Strict", cookie["sameSite"]!.GetValue<string>());

        // Earnings and funnel: the store's own sums.
        var earnings = result["earnings"]!;
        Assert.Equal(Scalar("SELECT SUM(price_sats) FROM jobs"), earnings["received"]!.GetValue<long>());
        Assert.Equal(1500, earnings["received"]!.GetValue<long>());
        Assert.Equal(Scalar("SELECT SUM(amount_msat) / 1000 FROM refunds WHERE status = 'Claimed'"), earnings["refunded"]!.GetValue<long>());
        Assert.Equal(300, earnings["refunded"]!.GetValue<long>());
        Assert.Equal(1200, earnings["net"]!.GetValue<long>());
        Assert.Equal(5, earnings["challenges"]!.GetValue<long>());
        Assert.Equal(Scalar("SELECT COUNT(*) FROM jobs"), earnings["paid"]!.GetValue<long>());
        Assert.Equal(Scalar("SELECT COUNT(*) FROM jobs WHERE status = 'COMPLETED'"), earnings["completed"]!.GetValue<long>());
        Assert.Equal(Scalar("SELECT COUNT(*) FROM jobs WHERE status = 'FAILED'"), earnings["failed"]!.GetValue<long>());
        Assert.Equal(1, earnings["refundsClaimed"]!.GetValue<long>());
        Assert.Equal(0, earnings["refundsAvailable"]!.GetValue<long>());
        Assert.Equal(30, earnings["bars"]!.GetValue<int>());
        Assert.Equal(DateTime.UtcNow.ToString("yyyy-MM-dd"), earnings["today"]!["day"]!.GetValue<string>());
        Assert.Equal(1500, earnings["today"]!["sats"]!.GetValue<long>());
        var models = earnings["models"]!.AsArray().ToDictionary(m => m!["model"]!.GetValue<string>(), m => (m!["jobs"]!.GetValue<long>(), m["sats"]!.GetValue<long>()));
        Assert.Equal((3L, Scalar("SELECT SUM(price_sats) FROM jobs WHERE model = 'motion'")), models["motion"]);
        Assert.Equal((1L, 300L), models["remote"]);

        // Jobs: all four, newest first, the failure with its reason; the filter shows it alone.
        var jobs = result["jobs"]!.AsArray();
        Assert.Equal(4, jobs.Count);
        Assert.Equal(failed["jobId"]!.GetValue<string>(), jobs[0]!["id"]!.GetValue<string>());
        Assert.Equal(("FAILED", failed["reason_code"]!.GetValue<string>()), (jobs[0]!["status"]!.GetValue<string>(), jobs[0]!["reason"]!.GetValue<string>()));
        Assert.Equal([failed["jobId"]!.GetValue<string>()], result["failedFilter"]!.AsArray().Select(j => j!.GetValue<string>()));

        // The job's page: its timeline names the worker that ran it, and its poster is shown.
        var job = result["job"]!;
        Assert.Equal("COMPLETED", job["status"]!.GetValue<string>());
        Assert.Contains(job["timeline"]!.AsArray(), t => t!.GetValue<string>().StartsWith("Claimed by worker ", StringComparison.Ordinal));
        Assert.Contains(job["timeline"]!.AsArray(), t => t!.GetValue<string>() == "Attempts: 1");
        Assert.Equal(1280, job["posterWidth"]!.GetValue<int>());

        // Revoked through the form, after the confirmation; listed and in the store.
        Assert.StartsWith("Revoke this token?", result["confirmation"]!.GetValue<string>());
        Assert.Equal("/admin/jobs/" + jobToRevoke, result["afterRevoke"]!["path"]!.GetValue<string>());
        Assert.True(await _host.Services.GetRequiredService<RevocationStore>().IsRevokedAsync(tokenToRevoke, CancellationToken.None));
        Assert.Equal([tokenToRevoke], result["revoked"]!.AsArray().Select(t => t!.GetValue<string>()));

        var refund = Assert.Single(result["refunds"]!.AsArray())!;
        Assert.Equal((failed["jobId"]!.GetValue<string>(), "Claimed", 300L), (refund["job"]!.GetValue<string>(), refund["state"]!.GetValue<string>(), refund["sats"]!.GetValue<long>()));

        var health = result["health"]!;
        Assert.Equal(["motion", "remote"], health["models"]!.AsArray().Select(m => m!["model"]!.GetValue<string>()));
        Assert.All(health["models"]!.AsArray(), m => Assert.True(m!["available"]!.GetValue<bool>()));
        Assert.Equal(["store", "video-storage", "lightning", "ffmpeg", "models"], health["readiness"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal(Scalar("SELECT COUNT(*) FROM jobs WHERE status = 'QUEUED'"), health["queue"]!.GetValue<long>());
        Assert.StartsWith("dev", health["lightning"]!.GetValue<string>());

        var actions = result["actions"]!.AsArray();
        Assert.Equal(["check-models", "revoke-token"], actions.Select(a => a!["action"]!.GetValue<string>()));
        Assert.Equal(tokenToRevoke, actions[1]!["target"]!.GetValue<string>());
        Assert.StartsWith("session ", actions[1]!["who"]!.GetValue<string>());

        Assert.All(result["phoneOverflow"]!.AsObject(), page => Assert.True(page.Value!.GetValue<int>() <= 0, $"{page.Key} is wider than a phone"));
        Assert.Equal("/admin/sign-in", result["afterSignOut"]!.GetValue<string>());
        Assert.Equal(10, result["screenshots"]!.AsArray().Count);
    }

    private string TokenOf(string jobId)
    {
        using var connection = _host.Services.GetRequiredService<Database>().Open();
        using var command = connection.Sql("SELECT token_id FROM jobs WHERE id = @id", ("@id", jobId));
        return (string)command.ExecuteScalar()!;
    }
}
