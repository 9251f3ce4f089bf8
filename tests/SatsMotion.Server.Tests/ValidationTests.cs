using System.Net;
using System.Text;
using SatsMotion.Testing;
using SkiaSharp;

namespace SatsMotion.Server.Tests;

/// <summary>Bad input gets a 400 naming the field, before any invoice exists.</summary>
public sealed class ValidationTests : IDisposable
{
    private static readonly string Image = Convert.ToBase64String(TestHost.DefaultImage);
    private readonly TestHost _host = new();

    public static TheoryData<string, string, string> BadBodies()
    {
        var truncated = Convert.ToBase64String(TestHost.DefaultImage.AsSpan(0, TestHost.DefaultImage.Length / 2));
        var notImage = Convert.ToBase64String(Encoding.UTF8.GetBytes("this is plain text, not a picture"));
        var huge = Convert.ToBase64String(TestImages.PngClaimingSize(7000, 7000));
        return new()
        {
            { "not json", "body", "not valid JSON" },
            { "[1,2,3]", "body", "JSON object" },
            { $$"""{"image":"{{Image}}"}""", "prompt", "required" },
            { $$"""{"prompt":"   ","image":"{{Image}}"}""", "prompt", "blank" },
            { $$"""{"prompt":42,"image":"{{Image}}"}""", "prompt", "string" },
            { $$"""{"prompt":"{{new string('a', 2001)}}","image":"{{Image}}"}""", "prompt", "at most 2000" },
            { """{"prompt":"zoom"}""", "image", "required" },
            { """{"prompt":"zoom","image":12}""", "image", "base64 string" },
            { """{"prompt":"zoom","image":""}""", "image", "empty" },
            { """{"prompt":"zoom","image":"***not base64***"}""", "image", "not valid base64" },
            { $$"""{"prompt":"zoom","image":"{{notImage}}"}""", "image", "not a decodable" },
            { $$"""{"prompt":"zoom","image":"{{truncated}}"}""", "image", "truncated" },
            { $$"""{"prompt":"zoom","image":"{{huge}}"}""", "image", "megapixels" },
            { $$"""{"prompt":"zoom","image":"data:text/plain;base64,{{Image}}"}""", "image", "data URI" },
            { $$"""{"prompt":"zoom","image":"{{Image}}","duration":2}""", "duration", "out of range" },
            { $$"""{"prompt":"zoom","image":"{{Image}}","duration":16}""", "duration", "out of range" },
            { $$"""{"prompt":"zoom","image":"{{Image}}","duration":5.5}""", "duration", "whole number" },
            { $$"""{"prompt":"zoom","image":"{{Image}}","duration":"5"}""", "duration", "whole number" },
            { $$"""{"prompt":"zoom","image":"{{Image}}","duration":-3}""", "duration", "out of range" },
            { $$"""{"prompt":"zoom","image":"{{Image}}","modelId":99}""", "modelId", "unknown modelId" },
            { $$"""{"prompt":"zoom","image":"{{Image}}","modelId":"kling-2"}""", "modelId", "unknown modelId" },
            { $$"""{"prompt":"zoom","image":"{{Image}}","modelId":true}""", "modelId", "number or a string" },
        };
    }

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_input_is_a_400_naming_the_field_and_no_invoice_is_made(string body, string field, string reason)
    {
        using var response = await _host.AnimateAsync(body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(response.Headers.WwwAuthenticate);
        var error = await _host.JsonAsync(response);
        Assert.Equal("INVALID_INPUT", error["error_code"]!.GetValue<string>());
        Assert.Equal(field, error["field"]!.GetValue<string>());
        Assert.Contains(reason, error["error"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(error["hint"]?.GetValue<string>()));
        Assert.Equal(0, _host.Count("dev_invoices"));
    }

    [Fact]
    public async Task Bad_input_is_refused_before_credentials_are_looked_at()
    {
        using var response = await _host.AnimateAsync("""{"prompt":"zoom"}""", "L402 garbage:" + new string('0', 64));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, _host.Count("dev_invoices"));
    }

    [Fact]
    public async Task Oversized_body_is_a_413_with_json_and_no_invoice()
    {
        using var host = new TestHost(settings: new() { ["SatsMotion:MaxRequestBytes"] = "100000" });
        var big = TestHost.Body(image: TestImages.Encode(BenchNoise(800, 600), SKEncodedImageFormat.Png));
        using var response = await host.AnimateAsync(big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("REQUEST_TOO_LARGE", (await host.JsonAsync(response))["error_code"]!.GetValue<string>());
        Assert.Equal(0, host.Count("dev_invoices"));
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Png, "data:image/png;base64,")]
    [InlineData(SKEncodedImageFormat.Webp, "data:image/webp;base64,")]
    [InlineData(SKEncodedImageFormat.Jpeg, "")]
    public async Task Every_supported_format_with_or_without_a_data_uri_gets_a_challenge(SKEncodedImageFormat format, string prefix)
    {
        var image = prefix + Convert.ToBase64String(TestImages.Encode(TestImages.Gradient(300, 200), format));
        using var response = await _host.AnimateAsync($$"""{"prompt":"pan left","image":"{{image}}"}""");
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
    }

    private static SKBitmap BenchNoise(int width, int height)
    {
        var bitmap = new SKBitmap(width, height);
        var random = new Random(7);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                bitmap.SetPixel(x, y, new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
            }
        }

        return bitmap;
    }

    public void Dispose() => _host.Dispose();
}
