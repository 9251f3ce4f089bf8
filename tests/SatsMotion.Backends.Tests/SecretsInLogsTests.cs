using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using SatsMotion.Backends.Tests.Lnd;
using SatsMotion.Server.Tests;
using SatsMotion.Testing;

namespace SatsMotion.Backends.Tests;

/// <summary>
/// No secret reaches a log, an error body or the metrics: a full run of the server as its own process against a
/// (fake) LND, with a configured server secret, the node's macaroon, a paid flow, refused credentials, an unpaid
/// invoice, a node outage and a rate limit, and then every byte it printed and served is searched for each secret.
/// </summary>
public sealed class SecretsInLogsTests : IAsyncLifetime
{
    private const string ServerSecret = "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7";
    private readonly FakeLndNode _node = new();

    public Task InitializeAsync() => _node.StartAsync();

    public async Task DisposeAsync() => await _node.DisposeAsync();

    [Fact]
    public async Task A_full_run_prints_and_serves_no_secret()
    {
        var address = new Uri($"http://127.0.0.1:{LoopbackPorts.Free()}");
        var data = Directory.CreateTempSubdirectory("secrets-").FullName;
        var connection = $"type=lnd-rest;server={_node.Address};macaroon={FakeLndNode.AdminMacaroon};certthumbprint={_node.CertificateThumbprint}";
        var start = new ProcessStartInfo("dotnet", [typeof(Program).Assembly.Location, "--data", data, "--urls", address.GetLeftPart(UriPartial.Authority),
            "--SatsMotion:Lightning=" + connection, "--SatsMotion:ServerSecret=" + ServerSecret, "--SatsMotion:RateLimits:ChallengesPerMinute=6",
            "--Logging:LogLevel:Default=Debug"]);
        var served = new StringBuilder();
        string unpaidPreimage;
        string output;
        await using (var server = await ServerProcess.StartAsync(start, address, TimeSpan.FromSeconds(20)))
        {
            using var http = new HttpClient { BaseAddress = address };
            async Task<HttpResponseMessage> PostAsync(string body, string? authorization = null)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/l402/animate-image") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                if (authorization is not null)
                {
                    request.Headers.TryAddWithoutValidation("Authorization", authorization);
                }

                var response = await http.SendAsync(request);
                served.Append(response.Headers).Append(await response.Content.ReadAsStringAsync());
                return response;
            }

            // Paid flow to a video.
            var body = TestHost.Body();
            var challenge = (await (await PostAsync(body)).Content.ReadFromJsonAsync<JsonNode>())!;
            var preimage = _node.Pay(challenge["invoice"]!.GetValue<string>());
            var credential = TestHost.Credential(challenge["macaroon"]!.GetValue<string>(), preimage);
            Assert.Equal(HttpStatusCode.OK, (await PostAsync(body, credential)).StatusCode);

            // An unpaid invoice whose preimage only the node knows, then refusals of every kind.
            var unpaid = (await (await PostAsync(TestHost.Body("pan left"))).Content.ReadFromJsonAsync<JsonNode>())!;
            unpaidPreimage = Convert.ToHexStringLower(_node.Find(unpaid["payment_hash"]!.GetValue<string>())!.Preimage);
            await PostAsync(TestHost.Body("pan left"), TestHost.Credential(unpaid["macaroon"]!.GetValue<string>(), unpaidPreimage));
            await PostAsync(body, TestHost.Credential(challenge["macaroon"]!.GetValue<string>(), new string('0', 64)));
            await PostAsync(body, "L402 garbage:zz");
            _node.Mode = NodeMode.Down;
            await PostAsync(TestHost.Body("tilt up"));
            _node.Mode = NodeMode.Normal;
            for (var i = 0; i < 6; i++)
            {
                await PostAsync(TestHost.Body($"zoom {i}"));
            }

            served.Append(await http.GetStringAsync("/metrics")).Append(await http.GetStringAsync("/readyz")).Append(await http.GetStringAsync("/healthz"));
            output = await server.StopAsync();
        }

        Assert.Contains("Rate limited", output); // the log did capture the run
        foreach (var (name, secret) in new[] { ("server secret", ServerSecret), ("macaroon", FakeLndNode.AdminMacaroon), ("unpaid preimage", unpaidPreimage) })
        {
            Assert.False(output.Contains(secret, StringComparison.OrdinalIgnoreCase), $"the {name} is in the log");
            Assert.False(served.ToString().Contains(secret, StringComparison.OrdinalIgnoreCase), $"the {name} was served");
        }

        Assert.DoesNotContain(Convert.ToBase64String(Convert.FromHexString(unpaidPreimage)), output);
    }
}
