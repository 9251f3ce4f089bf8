using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SatsMotion.Server.Tests;
using SatsMotion.Testing;

namespace SatsMotion.Client.Tests;

/// <summary>
/// The client pays either scheme: L402 by default when both are offered, the Payment scheme with --prefer-mpp or
/// when it is all a server offers, with the same max-cost, cache and resume guarantees; and it checks a Payment
/// challenge against its own invoice before paying anything.
/// </summary>
public sealed class MppPaymentTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("satsmotion-mpp-client-").FullName;
    private readonly string _image;

    public MppPaymentTests()
    {
        _image = Path.Combine(_work, "photo.jpg");
        File.WriteAllBytes(_image, TestHost.Jpeg(640, 400));
    }

    private static long Settled(TestHost server)
    {
        using var connection = ((SatsMotion.Server.Storage.Database)server.Services.GetService(typeof(SatsMotion.Server.Storage.Database))!).Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM dev_invoices WHERE settled_at IS NOT NULL";
        return (long)command.ExecuteScalar()!;
    }

    [Theory]
    [InlineData("l402,mpp", false, "L402")]
    [InlineData("mpp,l402", false, "L402")]
    [InlineData("l402,mpp", true, "Payment")]
    [InlineData("mpp", false, "Payment")]
    [InlineData("l402", true, "L402")]
    public async Task Animate_pays_the_scheme_it_should_and_a_rerun_pays_nothing(string offered, bool preferMpp, string expected)
    {
        using var server = new TestHost(kestrel: true, settings: new() { ["SatsMotion:PaymentSchemes"] = offered });
        server.StartServer();
        var client = new ClientRun(Path.Combine(_work, "config-" + offered.Replace(',', '-') + preferMpp));
        var output = Path.Combine(_work, $"out-{offered}-{preferMpp}.mp4");
        string[] args = ["animate", _image, "-p", "slow zoom in", "-d", "3", "-o", output, "--server", server.ServerAddress.ToString(), "--yes", "--json", .. preferMpp ? new[] { "--prefer-mpp" } : []];

        var (exit, stdout, stderr) = await client.RunAsync("", args);
        Assert.True(exit == 0, stderr + stdout);
        Assert.Equal(expected, ClientRun.Json(stdout)["scheme"]!.GetValue<string>());
        Assert.Equal(300, ClientRun.Json(stdout)["paid_sats"]!.GetValue<long>());
        Assert.Equal(3.0, (await Ffprobe.ProbeAsync(output)).DurationSeconds, 2);
        Assert.DoesNotContain("note:", stderr); // the receipt named the payment

        var again = await client.RunAsync("", args);
        Assert.True(again.Exit == 0, again.Err);
        Assert.Equal(0, ClientRun.Json(again.Out)["paid_sats"]!.GetValue<long>());
        Assert.Equal(1, Settled(server));
        Assert.Equal(1, server.Count("jobs"));
    }

    [Fact]
    public async Task A_resumed_run_whose_Payment_challenge_expired_redeems_with_the_L402_token_of_the_same_invoice()
    {
        using var server = new TestHost(kestrel: true);
        server.StartServer();
        var config = Path.Combine(_work, "config-resume");
        var body = AnimateCommandTests.BodyAsTheClientSendsIt(_image, "pan left", 3);
        using var challenge = await server.AnimateAsync(body);
        var json = await server.JsonAsync(challenge);
        var preimage = await server.PayAsync(json["invoice"]!.GetValue<string>());

        // The killed run had chosen MPP; its challenge is now past its time (rewritten here: the client never checks the id).
        var payment = MppCaller.Challenge(challenge);
        var expired = string.Join(", ", MppCaller.With(payment, "expires", "2020-01-01T00:00:00Z").Select(p => $"{p.Key}=\"{p.Value}\""));
        var url = new Uri(server.ServerAddress, "/api/l402/animate-image");
        new TokenCache(config).Save(new CachedToken(url.GetLeftPart(UriPartial.Authority), PaymentFetcher.RequestKey(HttpMethod.Post, url, Encoding.UTF8.GetBytes(body)),
            json["macaroon"]!.GetValue<string>(), json["invoice"]!.GetValue<string>(), json["payment_hash"]!.GetValue<string>(), 300, preimage, DateTimeOffset.UtcNow,
            "Payment " + expired));

        var (exit, stdout, stderr) = await new ClientRun(config).RunAsync("", "animate", _image, "-p", "pan left", "-d", "3", "--server", server.ServerAddress.ToString(),
            "--yes", "--json", "--prefer-mpp", "-o", Path.Combine(_work, "resumed.mp4"));
        Assert.True(exit == 0, stderr);
        Assert.Equal("L402", ClientRun.Json(stdout)["scheme"]!.GetValue<string>());
        Assert.Equal(0, ClientRun.Json(stdout)["paid_sats"]!.GetValue<long>());
        Assert.Equal(1, server.Count("dev_invoices"));
    }

    // A third-party MPP server whose invoice comes from the dev node (so the dev wallet can pay it); it records what it got.
    private static async Task<(FakeHttpServer Server, List<string> Credentials)> MppServerAsync(TestHost devNode, Func<JsonObject, JsonObject> request, string? expires = null,
        string? header = null)
    {
        using var source = await devNode.AnimateAsync(TestHost.Body());
        var json = await devNode.JsonAsync(source);
        var (invoice, hash) = (json["invoice"]!.GetValue<string>(), json["payment_hash"]!.GetValue<string>());
        var charge = request(new JsonObject
        {
            ["amount"] = json["price_sats"]!.GetValue<long>().ToString(CultureInfo.InvariantCulture),
            ["currency"] = "sat",
            ["methodDetails"] = new JsonObject { ["invoice"] = invoice, ["network"] = "regtest", ["paymentHash"] = hash },
        });
        var encoded = MppCaller.Encode(Encoding.UTF8.GetBytes(charge.ToJsonString()), padded: false);
        var until = expires ?? DateTimeOffset.UtcNow.AddMinutes(5).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var credentials = new List<string>();
        var server = await FakeHttpServer.StartAsync(app => app.MapPost("/paid", (HttpContext context) =>
        {
            var authorization = context.Request.Headers.Authorization.ToString();
            if (authorization.StartsWith("Payment ", StringComparison.Ordinal))
            {
                credentials.Add(authorization);
                var sent = JsonNode.Parse(MppCaller.Decode(authorization[8..]))!;
                var preimage = Convert.FromHexString(sent["payload"]!["preimage"]!.GetValue<string>());
                if (sent["challenge"]!["id"]!.GetValue<string>() == "c1" && Convert.ToHexStringLower(SHA256.HashData(preimage)) == hash)
                {
                    context.Response.Headers["Payment-Receipt"] = MppCaller.Encode(Encoding.UTF8.GetBytes(
                        new JsonObject { ["status"] = "success", ["method"] = "lightning", ["timestamp"] = "2026-12-03T00:00:00Z", ["reference"] = hash, ["challengeId"] = "c1" }.ToJsonString()), padded: false);
                    return Results.Text("made");
                }
            }

            context.Response.Headers.WWWAuthenticate = $"Payment id=\"c1\", realm=\"other\", method=\"lightning\", intent=\"charge\", request=\"{encoded}\", expires=\"{until}\""
                + (header is null ? "" : $", header=\"{header}\"");
            return Results.StatusCode(402);
        }));
        return (server, credentials);
    }

    [Fact]
    public async Task Post_to_a_server_that_speaks_only_MPP_pays_once_and_echoes_the_challenge()
    {
        using var devNode = new TestHost(kestrel: true);
        devNode.StartServer();
        var (server, credentials) = await MppServerAsync(devNode, r => r);
        await using (server)
        {
            var config = Path.Combine(_work, "config-post");
            var (exit, stdout, stderr) = await new ClientRun(config).RunAsync("", "post", new Uri(server.Address, "/paid").ToString(), "-d", "{\"a\":1}",
                "--server", devNode.ServerAddress.ToString(), "--yes");
            Assert.True(exit == 0, stderr);
            Assert.Equal("made", stdout.Trim());
            var sent = JsonNode.Parse(MppCaller.Decode(Assert.Single(credentials)[8..]))!;
            Assert.Equal(["id", "realm", "method", "intent", "request", "expires"], sent["challenge"]!.AsObject().Select(p => p.Key));
            Assert.Equal(1, Settled(devNode));

            // The same request again uses the cached payment.
            var again = await new ClientRun(config).RunAsync("", "post", new Uri(server.Address, "/paid").ToString(), "-d", "{\"a\":1}", "--server", devNode.ServerAddress.ToString(), "--yes");
            Assert.Equal(0, again.Exit);
            Assert.Equal(1, Settled(devNode));
        }
    }

    public static TheoryData<string, string> Lies() => new()
    {
        { "amount", "is not the invoice's" },
        { "currency", "is not sat" },
        { "paymentHash", "paymentHash is not the invoice's" },
        { "invoice", "invoice is invalid" },
        { "expired", "expired at" },
        { "header", "which this client does not send" }, // draft -01: the credential must go in Payment-Authorization
    };

    [Theory]
    [MemberData(nameof(Lies))]
    public async Task A_Payment_challenge_that_disagrees_with_its_invoice_is_never_paid(string lie, string message)
    {
        using var devNode = new TestHost(kestrel: true);
        devNode.StartServer();
        var (server, credentials) = await MppServerAsync(devNode, r =>
        {
            switch (lie)
            {
                case "amount": r["amount"] = "1"; break;
                case "currency": r["currency"] = "usd"; break;
                case "paymentHash": r["methodDetails"]!["paymentHash"] = new string('0', 64); break;
                case "invoice": r["methodDetails"]!["invoice"] = "lnbcrt1bogus"; break;
            }

            return r;
        }, lie == "expired" ? "2020-01-01T00:00:00Z" : null, lie == "header" ? "Payment-Authorization" : null);
        await using (server)
        {
            var config = Path.Combine(_work, "config-" + lie);
            var (exit, _, stderr) = await new ClientRun(config).RunAsync("", "post", new Uri(server.Address, "/paid").ToString(), "-d", "{}", "--server", devNode.ServerAddress.ToString(), "--yes");
            Assert.Equal(6, exit);
            Assert.Contains(message, stderr);
            Assert.Empty(credentials);
            Assert.Empty(new TokenCache(config).All());
            Assert.Equal(0, Settled(devNode));
        }
    }

    [Fact]
    public async Task Max_cost_holds_for_MPP_too()
    {
        using var devNode = new TestHost(kestrel: true);
        devNode.StartServer();
        var (server, _) = await MppServerAsync(devNode, r => r);
        await using (server)
        {
            var (exit, _, stderr) = await new ClientRun(Path.Combine(_work, "config-cost")).RunAsync("", "post", new Uri(server.Address, "/paid").ToString(), "-d", "{}",
                "--server", devNode.ServerAddress.ToString(), "--yes", "--max-cost", "100");
            Assert.Equal(3, exit);
            Assert.Contains("above --max-cost", stderr);
            Assert.Equal(0, Settled(devNode));
        }
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);
}
