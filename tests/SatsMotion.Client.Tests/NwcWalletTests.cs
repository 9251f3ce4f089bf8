using System.Text;
using System.Text.Json.Nodes;
using SatsMotion.Lightning.Bolt11;
using SatsMotion.Server.Tests;
using SatsMotion.Testing;

namespace SatsMotion.Client.Tests;

/// <summary>
/// Nostr Wallet Connect against a real relay (@nostr-relay/core, which checks every event's signature with
/// nostr-tools) and a NIP-47 wallet service written with nostr-tools that pays through the dev node. The default
/// service accepts only NIP-44, so the payments below prove the client negotiated it.
/// </summary>
public sealed class NwcWalletTests : IAsyncLifetime
{
    private readonly TestHost _server = new(kestrel: true);
    private readonly string _work = Directory.CreateTempSubdirectory("satsmotion-nwc-").FullName;
    private NodeService _nwc = null!;

    private string Server => _server.ServerAddress.ToString();

    private string NwcUri => _nwc.Ready["nwcUri"]!.GetValue<string>();

    public async Task InitializeAsync()
    {
        _server.StartServer();
        _nwc = await StartWalletServiceAsync("nip44");
    }

    private Task<NodeService> StartWalletServiceAsync(string encryption) =>
        NodeService.StartAsync("nwc-services.mjs", new { devPayUrl = new Uri(_server.ServerAddress, "/api/dev/pay").ToString(), encryption });

    [Fact]
    public async Task A_wallet_that_speaks_only_nip04_is_paid_with_nip04()
    {
        await using var legacy = await StartWalletServiceAsync("nip04");
        using var challenge = await _server.AnimateAsync(TestHost.Body());
        var invoice = (await _server.JsonAsync(challenge))["invoice"]!.GetValue<string>();
        var (exit, _, stderr) = await new ClientRun(Path.Combine(_work, "config")).RunAsync("", "pay", invoice, "--wallet", legacy.Ready["nwcUri"]!.GetValue<string>(), "--yes");
        Assert.True(exit == 0, stderr);
    }

    [Fact]
    public async Task Animate_pays_over_nwc()
    {
        var image = Path.Combine(_work, "photo.jpg");
        await File.WriteAllBytesAsync(image, TestHost.Jpeg());
        var client = new ClientRun(Path.Combine(_work, "config"), new() { ["SATSMOTION_NWC"] = NwcUri });
        var (exit, stdout, stderr) = await client.RunAsync("", "animate", image, "-p", "orbit slowly", "-d", "3", "--server", Server, "--wallet", "nwc", "--yes", "--json", "-o", Path.Combine(_work, "nwc.mp4"));
        Assert.True(exit == 0, stderr + stdout);
        Assert.Equal(300, ClientRun.Json(stdout)["paid_sats"]!.GetValue<long>());
        Assert.Equal(3.0, (await Ffprobe.ProbeAsync(Path.Combine(_work, "nwc.mp4"))).DurationSeconds, 2);
        Assert.DoesNotContain(NwcUri.Split("secret=")[1], stdout + stderr);
    }

    [Fact]
    public async Task A_payment_in_flight_is_found_with_lookup_invoice_instead_of_paying_again()
    {
        var image = Path.Combine(_work, "photo.jpg");
        await File.WriteAllBytesAsync(image, TestHost.Jpeg());
        var body = new JsonObject { ["prompt"] = "tilt down", ["image"] = Convert.ToBase64String(await File.ReadAllBytesAsync(image)), ["duration"] = 3 }.ToJsonString();
        using var challenge = await _server.AnimateAsync(body);
        var json = await _server.JsonAsync(challenge);
        var config = Path.Combine(_work, "config");
        var client = new ClientRun(config);

        // The payment went through the wallet, then the process died before it heard back.
        var pay = await client.RunAsync("", "pay", json["invoice"]!.GetValue<string>(), "--wallet", NwcUri, "--yes");
        Assert.Equal(0, pay.Exit);
        var url = new Uri(_server.ServerAddress, "/api/l402/animate-image");
        new TokenCache(config).Save(new CachedToken(url.GetLeftPart(UriPartial.Authority), PaymentFetcher.RequestKey(HttpMethod.Post, url, Encoding.UTF8.GetBytes(body)),
            json["macaroon"]!.GetValue<string>(), json["invoice"]!.GetValue<string>(), json["payment_hash"]!.GetValue<string>(), 300, null, DateTimeOffset.UtcNow));

        var (exit, stdout, stderr) = await client.RunAsync("", "animate", image, "-p", "tilt down", "-d", "3", "--server", Server, "--wallet", NwcUri, "--yes", "--json", "-o", Path.Combine(_work, "resumed.mp4"));
        Assert.True(exit == 0, stderr);
        Assert.Equal(0, ClientRun.Json(stdout)["paid_sats"]!.GetValue<long>());
        Assert.Equal(1, _server.Count("dev_invoices"));
    }

    [Fact]
    public async Task A_refusal_from_the_wallet_service_is_a_payment_failure()
    {
        var foreign = Bolt11Codec.Encode(Bolt11Network.Regtest, 1_000_000, DateTimeOffset.UtcNow,
            [Bolt11TaggedField.PaymentHash(new byte[32]), Bolt11TaggedField.PaymentSecret(new byte[32]), Bolt11TaggedField.Description("not ours")],
            System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var (exit, _, stderr) = await new ClientRun(Path.Combine(_work, "config")).RunAsync("", "pay", foreign, "--wallet", NwcUri, "--yes");
        Assert.Equal(4, exit);
        Assert.Contains("NWC wallet refused: PAYMENT_FAILED", stderr);
    }

    [Theory]
    [InlineData("nostr+walletconnect://nothex?relay=ws%3A%2F%2F127.0.0.1%3A1&secret=00")]
    [InlineData("nostr+walletconnect://aabb")]
    public async Task Malformed_nwc_uris_are_usage_errors(string uri)
    {
        using var challenge = await _server.AnimateAsync(TestHost.Body());
        var invoice = (await _server.JsonAsync(challenge))["invoice"]!.GetValue<string>();
        var (exit, _, stderr) = await new ClientRun(Path.Combine(_work, "config")).RunAsync("", "pay", invoice, "--wallet", uri, "--yes");
        Assert.Equal(1, exit);
        Assert.Contains("NWC URI", stderr);
    }

    public async Task DisposeAsync()
    {
        await _nwc.DisposeAsync();
        _server.Dispose();
        Directory.Delete(_work, true);
    }
}
