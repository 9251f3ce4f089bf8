using System.Text;
using System.Text.Json.Nodes;
using SatsMotion.Testing;

namespace SatsMotion.Server.Tests;

/// <summary>
/// The web page in Debian's Chromium (headless, driven by playwright-core): a full paid run, input errors shown
/// by their fields, a reload while waiting, a phone-sized viewport, and progress followed on the event stream (polling
/// where EventSource is missing). Screenshots go to TestResults/screenshots.
/// </summary>
public sealed class BrowserTests : IDisposable
{
    private static readonly string Screenshots = Path.Combine(RepositoryPaths.Root, "TestResults", "screenshots");
    private readonly TestHost _host = new(kestrel: true);
    private readonly string _image;

    public BrowserTests()
    {
        Directory.CreateDirectory(Screenshots);
        _image = Path.Combine(_host.DataDirectory, "photo.jpg");
        File.WriteAllBytes(_image, TestHost.Jpeg(800, 450));
        _host.StartServer();
    }

    private Task<JsonNode> RunAsync(string scenario, int duration = 3, bool withoutEventSource = false)
    {
        var bad = Path.Combine(_host.DataDirectory, "not-an-image.png");
        File.WriteAllText(bad, "this is text pretending to be a PNG", Encoding.UTF8);
        return NodeScript.RunAsync("browser.mjs", new
        {
            scenario,
            baseUrl = _host.ServerAddress.ToString(),
            imagePath = _image,
            badImagePath = bad,
            screenshotDir = Screenshots,
            duration,
            withoutEventSource,
        }, TimeSpan.FromSeconds(150));
    }

    [Fact]
    public async Task Full_run_upload_pay_with_test_wallet_and_watch_the_video()
    {
        var result = await RunAsync("full", duration: 3);
        Assert.Equal("300", result["price"]!.GetValue<string>());
        var invoice = result["invoice"]!.GetValue<string>();
        Assert.StartsWith("lnbcrt3u1", invoice);
        Assert.Equal("LIGHTNING:" + invoice.ToUpperInvariant(), result["qr"]!.GetValue<string>());
        Assert.Equal("lightning:" + invoice, result["walletLink"]!.GetValue<string>());
        Assert.Matches("^(9|10):[0-5][0-9]$", result["countdown"]!.GetValue<string>());
        Assert.False(result["weblnButtonVisible"]!.GetValue<bool>(), "the WebLN button shows in a browser without WebLN");
        var video = result["video"]!;
        Assert.Equal(3.0, video["duration"]!.GetValue<double>(), 2);
        Assert.Equal(1280, video["width"]!.GetValue<int>());
        Assert.EndsWith(".jpg", video["poster"]!.GetValue<string>());
        Assert.Equal(video["src"]!.GetValue<string>(), result["download"]!.GetValue<string>());
        Assert.Empty(result["pageErrors"]!.AsArray());
        Assert.Equal(4, result["screenshots"]!.AsArray().Count);

        // The page followed its job on the event stream, without a single poll.
        Assert.Equal("events", result["progressSource"]!.GetValue<string>());
        Assert.True(result["eventStreams"]!.GetValue<int>() >= 1);
        Assert.Equal(0, result["polls"]!.GetValue<int>());
    }

    [Fact]
    public async Task Without_EventSource_the_page_polls_and_still_finishes()
    {
        var result = await RunAsync("full", duration: 3, withoutEventSource: true);
        Assert.Equal(3.0, result["video"]!["duration"]!.GetValue<double>(), 2);
        Assert.Null(result["progressSource"]);
        Assert.Equal(0, result["eventStreams"]!.GetValue<int>());
        Assert.True(result["polls"]!.GetValue<int>() >= 1);
        Assert.Empty(result["pageErrors"]!.AsArray());
    }

    [Fact]
    public async Task Input_errors_from_the_api_are_shown_next_to_their_field_and_no_invoice_is_made()
    {
        var result = await RunAsync("invalid");
        Assert.Contains("not a decodable", result["imageError"]!.GetValue<string>());
        Assert.True(result["payStepHidden"]!.GetValue<bool>());
        Assert.Contains("blank", result["promptError"]!.GetValue<string>());
        Assert.Equal(0, _host.Count("dev_invoices"));
    }

    [Fact]
    public async Task Reload_while_waiting_resumes_and_finishes()
    {
        var result = await RunAsync("reload", duration: 8);
        Assert.Contains(result["resumedStep"]!.GetValue<string>(), new[] { "wait-step", "result-step" });
        Assert.Equal(8.0, result["video"]!["duration"]!.GetValue<double>(), 2);
        Assert.Equal(1, _host.Count("jobs"));
        Assert.Equal(1, _host.Count("dev_invoices"));
        Assert.Empty(result["pageErrors"]!.AsArray());
    }

    [Fact]
    public async Task Phone_viewport_fits_and_completes()
    {
        var result = await RunAsync("phone");
        Assert.True(result["overflow"]!.GetValue<int>() <= 0, "the page scrolls sideways on a phone");
        Assert.Equal(3.0, result["video"]!["duration"]!.GetValue<double>(), 2);
    }

    public void Dispose() => _host.Dispose();
}
