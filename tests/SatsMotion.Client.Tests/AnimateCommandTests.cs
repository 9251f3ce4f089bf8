using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Server.Tests;
using SatsMotion.Testing;

namespace SatsMotion.Client.Tests;

/// <summary>satsmotion animate against a live local server (real Kestrel), paying with the dev wallet or a fake LND.</summary>
public sealed class AnimateCommandTests : IDisposable
{
    private readonly RequestLog _requests = new();
    private readonly TestHost _server;
    private readonly string _work = Directory.CreateTempSubdirectory("satsmotion-client-").FullName;
    private readonly string _image;
    private readonly ClientRun _client;

    public AnimateCommandTests()
    {
        _server = new(kestrel: true, services: s => s.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter>(_requests));
        _server.StartServer();
        _image = Path.Combine(_work, "photo.jpg");
        File.WriteAllBytes(_image, TestHost.Jpeg(640, 400));
        _client = new ClientRun(Path.Combine(_work, "config"));
    }

    private string Server => _server.ServerAddress.ToString();

    private long SettledInvoices()
    {
        using var connection = ((SatsMotion.Server.Storage.Database)_server.Services.GetService(typeof(SatsMotion.Server.Storage.Database))!).Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM dev_invoices WHERE settled_at IS NOT NULL";
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public async Task Animate_pays_redeems_waits_and_writes_a_playable_mp4_and_a_rerun_pays_nothing()
    {
        var output = Path.Combine(_work, "out.mp4");
        var (exit, stdout, stderr) = await _client.RunAsync("", "animate", _image, "--prompt", "slow zoom in", "--duration", "3", "-o", output, "--server", Server, "--wallet", "dev", "--yes", "--json");
        Assert.True(exit == 0, stderr + stdout);
        var result = ClientRun.Json(stdout);
        Assert.Equal(output, result["path"]!.GetValue<string>());
        Assert.Equal(300, result["paid_sats"]!.GetValue<long>());
        Assert.Equal(3.0, (await Ffprobe.ProbeAsync(output)).DurationSeconds, 2);

        var again = await _client.RunAsync("", "animate", _image, "--prompt", "slow zoom in", "--duration", "3", "-o", output, "--server", Server, "--yes", "--json");
        Assert.Equal(0, again.Exit);
        Assert.Equal(0, ClientRun.Json(again.Out)["paid_sats"]!.GetValue<long>());
        Assert.True(ClientRun.Json(again.Out)["reused_token"]!.GetValue<bool>());
        Assert.Equal(1, _server.Count("dev_invoices"));
        Assert.Equal(1, _server.Count("jobs"));
    }

    [Fact]
    public async Task Animate_shows_live_progress_from_the_event_stream_without_polling()
    {
        var output = Path.Combine(_work, "live.mp4");
        var (exit, stdout, stderr) = await _client.RunAsync("", "animate", _image, "--prompt", "pan left", "--duration", "10", "-o", output, "--server", Server, "--wallet", "dev", "--yes");
        Assert.True(exit == 0, stderr + stdout);
        var shown = System.Text.RegularExpressions.Regex.Matches(stderr, @"rendering \[[# ]*\] (\d+)\s?%").Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(shown.Count(p => p > 0 && p < 100) >= 2, stderr);
        Assert.Equal(shown.Order(), shown);
        Assert.Equal(1, _requests.Count(r => r.StartsWith("GET /api/l402/jobs/", StringComparison.Ordinal) && r.EndsWith("/events", StringComparison.Ordinal)));
        Assert.Equal(0, _requests.Count(r => r.StartsWith("GET /api/l402/jobs/", StringComparison.Ordinal) && !r.EndsWith("/events", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Price_above_max_cost_is_refused_without_paying()
    {
        var (exit, _, stderr) = await _client.RunAsync("", "animate", _image, "-p", "zoom in", "-d", "15", "--server", Server, "--yes", "--max-cost", "1000");
        Assert.Equal(3, exit);
        Assert.Contains("1500 sats is above --max-cost 1000", stderr);
        Assert.Equal(0, SettledInvoices());
        Assert.Empty(new TokenCache(_client.ConfigDirectory).All());
    }

    [Theory]
    [InlineData("n\n", 3, 0)]
    [InlineData("y\n", 0, 1)]
    public async Task Without_yes_the_price_is_asked_for(string answer, int expectedExit, long settled)
    {
        var (exit, _, stderr) = await _client.RunAsync(answer, "animate", _image, "-p", "zoom in", "-d", "3", "--server", Server, "-o", Path.Combine(_work, "asked.mp4"));
        Assert.Equal(expectedExit, exit);
        Assert.Contains("Pay 300 sats", stderr);
        Assert.Equal(settled, SettledInvoices());
    }

    [Fact]
    public async Task A_run_killed_between_pay_and_redeem_resumes_with_the_paid_token()
    {
        // What the killed run left behind: the invoice paid and the token with its preimage in the cache.
        var body = BodyAsTheClientSendsIt(_image, "pan left", 3);
        using var challenge = await _server.AnimateAsync(body);
        var json = await _server.JsonAsync(challenge);
        var preimage = await _server.PayAsync(json["invoice"]!.GetValue<string>());
        var url = new Uri(new Uri(Server), "/api/l402/animate-image");
        new TokenCache(_client.ConfigDirectory).Save(new CachedToken(url.GetLeftPart(UriPartial.Authority), PaymentFetcher.RequestKey(HttpMethod.Post, url, Encoding.UTF8.GetBytes(body)),
            json["macaroon"]!.GetValue<string>(), json["invoice"]!.GetValue<string>(), json["payment_hash"]!.GetValue<string>(), 300, preimage, DateTimeOffset.UtcNow));

        var (exit, stdout, stderr) = await _client.RunAsync("", "animate", _image, "-p", "pan left", "-d", "3", "--server", Server, "--yes", "--json", "-o", Path.Combine(_work, "resumed.mp4"));
        Assert.True(exit == 0, stderr);
        Assert.Equal(0, ClientRun.Json(stdout)["paid_sats"]!.GetValue<long>());
        Assert.Equal(1, _server.Count("dev_invoices"));
    }

    [Fact]
    public async Task A_payment_in_flight_when_the_run_died_is_not_paid_twice()
    {
        await using var lndServer = await FakeHttpServer.StartAsync(app => new FakeLnd().Map(app, new Uri(Server)));
        var lnd = new Dictionary<string, string> { ["SATSMOTION_LND_HOST"] = lndServer.Address.ToString(), ["SATSMOTION_LND_MACAROON"] = FakeLnd.MacaroonHex };
        var client = new ClientRun(_client.ConfigDirectory, lnd);
        var body = BodyAsTheClientSendsIt(_image, "tilt up", 3);
        using var challenge = await _server.AnimateAsync(body);
        var json = await _server.JsonAsync(challenge);
        var url = new Uri(new Uri(Server), "/api/l402/animate-image");

        // The token was recorded, then the process died before the wallet answered; this LND never saw the payment.
        new TokenCache(_client.ConfigDirectory).Save(new CachedToken(url.GetLeftPart(UriPartial.Authority), PaymentFetcher.RequestKey(HttpMethod.Post, url, Encoding.UTF8.GetBytes(body)),
            json["macaroon"]!.GetValue<string>(), json["invoice"]!.GetValue<string>(), json["payment_hash"]!.GetValue<string>(), 300, null, DateTimeOffset.UtcNow));
        var (exit, _, stderr) = await client.RunAsync("", "animate", _image, "-p", "tilt up", "-d", "3", "--server", Server, "--wallet", "lnd", "--yes");
        Assert.Equal(4, exit);
        Assert.Contains("may still be in flight", stderr);
        Assert.Equal(0, SettledInvoices());
    }

    [Fact]
    public async Task Lnd_wallet_pays_through_the_rest_api_with_the_fee_limit()
    {
        var fake = new FakeLnd();
        await using var lndServer = await FakeHttpServer.StartAsync(app => fake.Map(app, new Uri(Server)));
        var macaroonFile = Path.Combine(_work, "admin.macaroon");
        await File.WriteAllBytesAsync(macaroonFile, Convert.FromHexString(FakeLnd.MacaroonHex));
        var client = new ClientRun(_client.ConfigDirectory, new() { ["SATSMOTION_LND_HOST"] = lndServer.Address.ToString(), ["SATSMOTION_LND_MACAROON"] = macaroonFile });
        var (exit, stdout, stderr) = await client.RunAsync("", "animate", _image, "-p", "zoom out", "-d", "3", "--server", Server, "--wallet", "lnd", "--yes", "--max-fee", "7", "--json", "-o", Path.Combine(_work, "lnd.mp4"));
        Assert.True(exit == 0, stderr);
        Assert.Equal(1, fake.PayCalls);
        Assert.Equal(7, fake.LastFeeLimit);
        Assert.DoesNotContain(FakeLnd.MacaroonHex, stdout + stderr);

        var wrong = new ClientRun(Path.Combine(_work, "other-config"), new() { ["SATSMOTION_LND_HOST"] = lndServer.Address.ToString(), ["SATSMOTION_LND_MACAROON"] = "00ff" });
        var refused = await wrong.RunAsync("", "animate", _image, "-p", "zoom out fast", "-d", "3", "--server", Server, "--wallet", "lnd", "--yes");
        Assert.Equal(4, refused.Exit);
        Assert.Contains("LND refused (401)", refused.Err);
        Assert.Empty(new TokenCache(Path.Combine(_work, "other-config")).All());
    }

    [Fact]
    public async Task A_wallet_preimage_that_does_not_match_the_invoice_is_a_payment_failure_and_the_token_is_kept()
    {
        await using var lndServer = await FakeHttpServer.StartAsync(app => new FakeLnd { ReturnWrongPreimage = true }.Map(app, new Uri(Server)));
        var client = new ClientRun(_client.ConfigDirectory, new() { ["SATSMOTION_LND_HOST"] = lndServer.Address.ToString(), ["SATSMOTION_LND_MACAROON"] = FakeLnd.MacaroonHex });
        var (exit, _, stderr) = await client.RunAsync("", "animate", _image, "-p", "pan right", "-d", "3", "--server", Server, "--wallet", "lnd", "--yes");
        Assert.Equal(4, exit);
        Assert.Contains("does not match the invoice", stderr);
        Assert.Equal(0, _server.Count("jobs"));

        // Money may have moved: the token stays, unpaid-looking, so the next run asks the wallet instead of paying.
        var kept = Assert.Single(new TokenCache(_client.ConfigDirectory).All());
        Assert.False(kept.IsPaid);
    }

    [Theory]
    [InlineData("missing.jpg", 2, "no such file")]
    [InlineData("text.jpg", 2, "not a decodable")]
    public async Task Bad_images_are_refused_locally(string name, int expectedExit, string message)
    {
        File.WriteAllText(Path.Combine(_work, "text.jpg"), "not an image");
        var (exit, _, stderr) = await _client.RunAsync("", "animate", Path.Combine(_work, name), "-p", "zoom", "--server", Server, "--yes");
        Assert.Equal(expectedExit, exit);
        Assert.Contains(message, stderr);
        Assert.Equal(0, _server.Count("dev_invoices"));
    }

    [Fact]
    public async Task Server_side_validation_is_bad_input_too()
    {
        var (exit, _, stderr) = await _client.RunAsync("", "animate", _image, "-p", "zoom", "-d", "40", "--server", Server, "--yes");
        Assert.Equal(2, exit);
        Assert.Contains("duration", stderr);
    }

    [Fact]
    public async Task Models_pay_and_tokens_commands()
    {
        var models = await _client.RunAsync("", "models", "--server", Server);
        Assert.Equal(0, models.Exit);
        Assert.Contains("motion", models.Out);

        using var challenge = await _server.AnimateAsync(TestHost.Body());
        var invoice = (await _server.JsonAsync(challenge))["invoice"]!.GetValue<string>();
        var pay = await _client.RunAsync("", "pay", invoice, "--server", Server, "--yes", "--json");
        Assert.Equal(0, pay.Exit);
        var preimage = ClientRun.Json(pay.Out)["preimage"]!.GetValue<string>();
        Assert.Equal(ClientRun.Json(pay.Out)["payment_hash"]!.GetValue<string>(), Convert.ToHexStringLower(SHA256.HashData(Convert.FromHexString(preimage))));
        Assert.Equal(2, (await _client.RunAsync("", "pay", "lnbc1garbage", "--yes")).Exit);

        await _client.RunAsync("", "animate", _image, "-p", "zoom", "-d", "3", "--server", Server, "--yes", "-o", Path.Combine(_work, "t.mp4"));
        var list = await _client.RunAsync("", "tokens", "list", "--json");
        var tokens = ClientRun.Json(list.Out).AsArray();
        Assert.Single(tokens);
        Assert.DoesNotContain("macaroon", list.Out, StringComparison.OrdinalIgnoreCase);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(new TokenCache(_client.ConfigDirectory).FilePath));
        }

        Assert.Contains("removed 1", (await _client.RunAsync("", "tokens", "clear")).Out);
        Assert.Empty(new TokenCache(_client.ConfigDirectory).All());
    }

    internal static string BodyAsTheClientSendsIt(string image, string prompt, int duration) =>
        new JsonObject { ["prompt"] = prompt, ["image"] = Convert.ToBase64String(File.ReadAllBytes(image)), ["duration"] = duration }.ToJsonString();

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_work, true);
    }
}
