using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SatsMotion.L402.Tokens;
using SatsMotion.Server.Tests;

namespace SatsMotion.Client.Tests;

/// <summary>satsmotion get|post against other L402 servers: an LSAT one that works, and broken challenges.</summary>
public sealed class FetchCommandTests : IDisposable
{
    private readonly TestHost _devNode = new(kestrel: true);
    private readonly string _config = Directory.CreateTempSubdirectory("satsmotion-fetch-").FullName;

    public FetchCommandTests() => _devNode.StartServer();

    [Fact]
    public async Task Lsat_challenge_is_paid_and_the_resource_fetched()
    {
        // A third-party LSAT server whose invoices happen to be issued by the dev node (so the dev wallet can pay).
        using var challengeSource = await _devNode.AnimateAsync(TestHost.Body());
        var json = await _devNode.JsonAsync(challengeSource);
        var (macaroon, invoice, hash) = (json["macaroon"]!.GetValue<string>(), json["invoice"]!.GetValue<string>(), json["payment_hash"]!.GetValue<string>());
        await using var server = await FakeHttpServer.StartAsync(app => app.MapGet("/weather", (HttpContext context) =>
        {
            var parsed = L402Credential.Parse(context.Request.Headers.Authorization.ToString());
            if (parsed.Success && Convert.ToHexStringLower(SHA256.HashData(parsed.Credential!.Preimage)) == hash && parsed.Credential.Macaroon == macaroon)
            {
                return Results.Text("sunny");
            }

            context.Response.Headers.WWWAuthenticate = $"LSAT macaroon=\"{macaroon}\", invoice=\"{invoice}\"";
            return Results.StatusCode(402);
        }));

        var run = new ClientRun(_config);
        var (exit, stdout, stderr) = await run.RunAsync("", "get", new Uri(server.Address, "/weather").ToString(), "--server", _devNode.ServerAddress.ToString(), "--yes");
        Assert.True(exit == 0, stderr);
        Assert.Equal("sunny", stdout.Trim());
    }

    [Theory]
    [InlineData("none", "challenge is unusable")]
    [InlineData("Bearer realm=\"x\"", "challenge is unusable")]
    [InlineData("L402 macaroon=\"AgE=\"", "no invoice")]
    [InlineData("L402 macaroon=\"AgE=\", invoice=\"lnbc1notaninvoice\"", "invoice is invalid")]
    public async Task Malformed_challenges_give_clear_errors_and_pay_nothing(string header, string message)
    {
        await using var server = await FakeHttpServer.StartAsync(app => app.MapGet("/paid", (HttpContext context) =>
        {
            if (header != "none")
            {
                context.Response.Headers.WWWAuthenticate = header;
            }

            return Results.StatusCode(402);
        }));
        var (exit, _, stderr) = await new ClientRun(_config).RunAsync("", "get", new Uri(server.Address, "/paid").ToString(), "--server", _devNode.ServerAddress.ToString(), "--yes");
        Assert.Equal(6, exit);
        Assert.Contains(message, stderr);
        Assert.Empty(new TokenCache(_config).All());
    }

    [Fact]
    public async Task An_invoice_without_an_amount_is_never_paid()
    {
        var openAmount = SatsMotion.Lightning.Bolt11.Bolt11Codec.Encode(SatsMotion.Lightning.Bolt11.Bolt11Network.Regtest, null, DateTimeOffset.UtcNow,
            [SatsMotion.Lightning.Bolt11.Bolt11TaggedField.PaymentHash(new byte[32]), SatsMotion.Lightning.Bolt11.Bolt11TaggedField.PaymentSecret(new byte[32]),
             SatsMotion.Lightning.Bolt11.Bolt11TaggedField.Description("pay what you like")], RandomNumberGenerator.GetBytes(32));
        await using var server = await FakeHttpServer.StartAsync(app => app.MapGet("/tip", (HttpContext context) =>
        {
            context.Response.Headers.WWWAuthenticate = $"L402 macaroon=\"AgE=\", invoice=\"{openAmount}\"";
            return Results.StatusCode(402);
        }));
        var (exit, _, stderr) = await new ClientRun(_config).RunAsync("", "get", new Uri(server.Address, "/tip").ToString(), "--server", _devNode.ServerAddress.ToString(), "--yes");
        Assert.Equal(3, exit);
        Assert.Contains("no amount", stderr);
        Assert.Empty(new TokenCache(_config).All());
    }

    [Fact]
    public async Task Non_402_errors_and_unreachable_servers_are_server_errors()
    {
        await using var server = await FakeHttpServer.StartAsync(app => app.MapPost("/boom", () => Results.Text("{\"error\":\"down\"}", "application/json", statusCode: 503)));
        var failing = await new ClientRun(_config).RunAsync("", "post", new Uri(server.Address, "/boom").ToString(), "-d", "{}", "--yes");
        Assert.Equal(6, failing.Exit);
        Assert.Contains("503", failing.Err);

        var unreachable = await new ClientRun(_config).RunAsync("", "get", "http://127.0.0.1:9/nothing", "--yes");
        Assert.Equal(6, unreachable.Exit);
        Assert.Contains("could not reach", unreachable.Err);
    }

    [Fact]
    public async Task Post_with_a_body_gets_the_satsmotion_challenge_paid_and_redeemed()
    {
        var body = Path.Combine(_config, "body.json");
        await File.WriteAllTextAsync(body, TestHost.Body(prompt: "orbit"));
        var (exit, stdout, stderr) = await new ClientRun(_config).RunAsync("", "post", new Uri(_devNode.ServerAddress, "/api/l402/animate-image").ToString(), "-d", "@" + body,
            "--server", _devNode.ServerAddress.ToString(), "--yes");
        Assert.True(exit == 0, stderr);
        Assert.Contains("videoUrl", stdout);
    }

    public void Dispose()
    {
        _devNode.Dispose();
        Directory.Delete(_config, true);
    }
}
