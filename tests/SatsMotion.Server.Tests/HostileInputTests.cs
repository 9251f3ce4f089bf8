using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using SatsMotion.Testing;
using SkiaSharp;

namespace SatsMotion.Server.Tests;

/// <summary>
/// Hostile input, table-driven: every malformed request is a precise 4xx with the JSON error body naming the field,
/// never a 500, never an invoice, never a hang. Limits are set low here (2 MB body, 1 MB image) to test them fast.
/// </summary>
public sealed class HostileInputTests : IClassFixture<HostileInputTests.Server>
{
    public sealed class Server : IDisposable
    {
        public TestHost Host { get; } = new(settings: new() { ["SatsMotion:MaxRequestBytes"] = (2 * 1024 * 1024).ToString(), ["SatsMotion:MaxImageBytes"] = (1024 * 1024).ToString() });

        public void Dispose() => Host.Dispose();
    }

    private readonly TestHost _host;

    public HostileInputTests(Server server) => _host = server.Host;

    private sealed record Case(Func<byte[]> Body, string? ContentType, HttpStatusCode Status, string Code, string Field);

    private static readonly string Image = Convert.ToBase64String(TestHost.DefaultImage);
    private static readonly byte[] RealPng = TestImages.Encode(TestImages.Gradient(64, 64), SKEncodedImageFormat.Png);

    private static Func<byte[]> Json(string text) => () => Encoding.UTF8.GetBytes(text);

    private static Func<byte[]> With(string field, string json) => Json(field switch
    {
        "prompt" => $$"""{"prompt":{{json}},"image":"{{Image}}","duration":3}""",
        "image" => $$"""{"prompt":"zoom in","image":{{json}},"duration":3}""",
        "duration" => $$"""{"prompt":"zoom in","image":"{{Image}}","duration":{{json}}}""",
        _ => $$"""{"prompt":"zoom in","image":"{{Image}}","duration":3,"modelId":{{json}}}""",
    });

    private static Func<byte[]> WithImageBytes(byte[] bytes) => With("image", $"\"{Convert.ToBase64String(bytes)}\"");

    private static Case Bad(Func<byte[]> body, string field, string code = "INVALID_INPUT", string? contentType = "application/json", HttpStatusCode status = HttpStatusCode.BadRequest) =>
        new(body, contentType, status, code, field);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        // Size limits.
        ["body over the request limit"] = Bad(With("image", $"\"{new string('A', 3 * 1024 * 1024)}\""), "body", "REQUEST_TOO_LARGE", status: HttpStatusCode.RequestEntityTooLarge),
        ["image over the image limit"] = Bad(WithImageBytes(new byte[1_200_000]), "image"),

        // Media types.
        ["text/plain"] = Bad(With("prompt", "\"zoom\""), "body", "UNSUPPORTED_MEDIA_TYPE", "text/plain", HttpStatusCode.UnsupportedMediaType),
        ["form-urlencoded"] = Bad(With("prompt", "\"zoom\""), "body", "UNSUPPORTED_MEDIA_TYPE", "application/x-www-form-urlencoded", HttpStatusCode.UnsupportedMediaType),
        ["multipart"] = Bad(With("prompt", "\"zoom\""), "body", "UNSUPPORTED_MEDIA_TYPE", "multipart/form-data; boundary=x", HttpStatusCode.UnsupportedMediaType),
        ["xml"] = Bad(With("prompt", "\"zoom\""), "body", "UNSUPPORTED_MEDIA_TYPE", "application/xml", HttpStatusCode.UnsupportedMediaType),
        ["image/png body"] = Bad(() => RealPng, "body", "UNSUPPORTED_MEDIA_TYPE", "image/png", HttpStatusCode.UnsupportedMediaType),
        ["not a media type"] = Bad(With("prompt", "\"zoom\""), "body", "UNSUPPORTED_MEDIA_TYPE", "json", HttpStatusCode.UnsupportedMediaType),

        // JSON that is not a JSON object.
        ["empty body"] = Bad(Json(""), "body"),
        ["null"] = Bad(Json("null"), "body"),
        ["array"] = Bad(Json("[]"), "body"),
        ["string"] = Bad(Json("\"zoom\""), "body"),
        ["number"] = Bad(Json("42"), "body"),
        ["truncated"] = Bad(Json("""{"prompt":"zoom in","image":"iVBOR"""), "body"),
        ["trailing garbage"] = Bad(Json($$"""{"prompt":"zoom in","image":"{{Image}}"} xyz"""), "body"),
        ["single quotes"] = Bad(Json("{'prompt':'zoom in'}"), "body"),
        ["comment"] = Bad(Json($$"""{/* hi */"prompt":"zoom in","image":"{{Image}}"}"""), "body"),
        ["trailing comma"] = Bad(Json($$"""{"prompt":"zoom in","image":"{{Image}}",}"""), "body"),
        ["deep nesting"] = Bad(Json($$"""{"prompt":"zoom in","image":"{{Image}}","x":{{new string('[', 200)}}{{new string(']', 200)}}}"""), "body"),
        ["invalid UTF-8"] = Bad(() => [.. "{\"prompt\":\"zoom "u8, 0xC3, 0x28, .. "\",\"image\":\"x\"}"u8], "body"),
        ["NaN literal"] = Bad(Json($$"""{"prompt":"zoom in","image":"{{Image}}","duration":NaN}"""), "body"),
        ["unquoted key"] = Bad(Json("{prompt:\"zoom\"}"), "body"),

        // Keys given twice.
        ["duplicate prompt"] = Bad(Json($$"""{"prompt":"zoom in","prompt":"pan left","image":"{{Image}}"}"""), "prompt"),
        ["duplicate image"] = Bad(Json($$"""{"prompt":"zoom in","image":"{{Image}}","image":"{{Image}}"}"""), "image"),
        ["duplicate duration"] = Bad(Json($$"""{"prompt":"zoom in","image":"{{Image}}","duration":3,"duration":15}"""), "duration"),
        ["duplicate modelId"] = Bad(Json($$"""{"prompt":"zoom in","image":"{{Image}}","modelId":1,"modelId":"motion"}"""), "modelId"),

        // prompt.
        ["prompt number"] = Bad(With("prompt", "42"), "prompt"),
        ["prompt array"] = Bad(With("prompt", "[\"zoom\"]"), "prompt"),
        ["prompt object"] = Bad(With("prompt", "{\"text\":\"zoom\"}"), "prompt"),
        ["prompt true"] = Bad(With("prompt", "true"), "prompt"),
        ["prompt null"] = Bad(With("prompt", "null"), "prompt"),
        ["prompt missing"] = Bad(Json($$"""{"image":"{{Image}}"}"""), "prompt"),
        ["prompt empty"] = Bad(With("prompt", "\"\""), "prompt"),
        ["prompt blank"] = Bad(With("prompt", "\" \\t\\n \""), "prompt"),
        ["prompt too long"] = Bad(With("prompt", $"\"{new string('z', 2001)}\""), "prompt"),
        ["prompt of a megabyte"] = Bad(With("prompt", $"\"{new string('z', 1024 * 1024)}\""), "prompt"),
        ["prompt with NUL"] = Bad(With("prompt", "\"zoom\\u0000in\""), "prompt"),
        ["prompt with BEL"] = Bad(With("prompt", "\"zoom\\u0007in\""), "prompt"),
        ["prompt with ESC"] = Bad(With("prompt", "\"zoom \\u001b[31min\""), "prompt"),
        ["prompt with CR"] = Bad(With("prompt", "\"zoom\\rin\""), "prompt"),
        ["prompt with DEL"] = Bad(With("prompt", "\"zoom\\u007fin\""), "prompt"),
        ["prompt with C1 control"] = Bad(With("prompt", "\"zoom\\u009bin\""), "prompt"),
        ["prompt with line separator"] = Bad(With("prompt", "\"zoom\\u2028in\""), "prompt"),

        // image.
        ["image number"] = Bad(With("image", "42"), "image"),
        ["image array"] = Bad(With("image", "[1,2]"), "image"),
        ["image object"] = Bad(With("image", "{\"url\":\"http://x\"}"), "image"),
        ["image null"] = Bad(With("image", "null"), "image"),
        ["image missing"] = Bad(Json("""{"prompt":"zoom in"}"""), "image"),
        ["image empty"] = Bad(With("image", "\"\""), "image"),
        ["image base64 junk"] = Bad(With("image", "\"!!!@@@###\""), "image"),
        ["image base64 with junk inside"] = Bad(With("image", $"\"{Image[..40]}*&^{Image[40..]}\""), "image"),
        ["image is text"] = Bad(WithImageBytes("hello, this is not an image"u8.ToArray()), "image"),
        ["image data URI of HTML"] = Bad(With("image", "\"data:text/html;base64,PGgxPmhpPC9oMT4=\""), "image"),
        ["image data URI without base64"] = Bad(With("image", $"\"data:image/png,{Image}\""), "image"),
        ["image URL instead of data"] = Bad(With("image", "\"https://example.com/cat.png\""), "image"),
        ["image SVG"] = Bad(WithImageBytes("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>"u8.ToArray()), "image"),
        ["image TIFF"] = Bad(WithImageBytes([0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, 0, 0, 0, 0]), "image"),
        ["image PDF"] = Bad(WithImageBytes("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"u8.ToArray()), "image"),
        ["image HTML"] = Bad(WithImageBytes("<!doctype html><img src=x onerror=alert(1)>"u8.ToArray()), "image"),
        ["image GIF header over HTML"] = Bad(WithImageBytes("GIF89a<script>alert(1)</script>"u8.ToArray()), "image"),
        ["image PNG bomb 100000x100000"] = Bad(WithImageBytes(TestImages.PngClaimingSize(100_000, 100_000)), "image"),
        ["image PNG over 8192 a side"] = Bad(WithImageBytes(TestImages.PngClaimingSize(9000, 100)), "image"),
        ["image PNG over 40 megapixels"] = Bad(WithImageBytes(TestImages.PngClaimingSize(8000, 8000)), "image"),
        ["image PNG truncated"] = Bad(WithImageBytes(RealPng[..60]), "image"),
        ["image PNG of zero width"] = Bad(WithImageBytes(TestImages.PngClaimingSize(0, 10)), "image"),

        // duration.
        ["duration string"] = Bad(With("duration", "\"5\""), "duration"),
        ["duration fraction"] = Bad(With("duration", "5.5"), "duration"),
        ["duration negative"] = Bad(With("duration", "-3"), "duration"),
        ["duration zero"] = Bad(With("duration", "0"), "duration"),
        ["duration 1e308"] = Bad(With("duration", "1e308"), "duration"),
        ["duration beyond int64"] = Bad(With("duration", "99999999999999999999999"), "duration"),
        ["duration true"] = Bad(With("duration", "true"), "duration"),
        ["duration array"] = Bad(With("duration", "[5]"), "duration"),
        ["duration 16"] = Bad(With("duration", "16"), "duration"),

        // modelId.
        ["modelId object"] = Bad(With("modelId", "{\"id\":1}"), "modelId"),
        ["modelId array"] = Bad(With("modelId", "[1]"), "modelId"),
        ["modelId true"] = Bad(With("modelId", "true"), "modelId"),
        ["modelId unknown"] = Bad(With("modelId", "\"nope\""), "modelId"),
        ["modelId 1e400"] = Bad(With("modelId", "1e400"), "modelId"),
        ["modelId negative"] = Bad(With("modelId", "-1"), "modelId"),
        ["modelId of 10k characters"] = Bad(With("modelId", $"\"{new string('m', 10_000)}\""), "modelId"),
    };

    public static IEnumerable<object[]> Names => Cases.Keys.Select(name => new object[] { name });

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Is_refused_with_a_precise_json_error_and_no_invoice(string name)
    {
        var (body, contentType, status, code, field) = Cases[name];
        var invoices = _host.Count("dev_invoices");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/l402/animate-image") { Content = new ByteArrayContent(body()) };
        if (contentType is not null)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var response = await _host.CreateClient().SendAsync(request, timeout.Token);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{name}: {(int)response.StatusCode} {text}");
        var error = JsonNode.Parse(text)!;
        Assert.Equal(code, error["error_code"]!.GetValue<string>());
        Assert.Equal(field, error["field"]?.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(error["error"]!.GetValue<string>()));
        Assert.False(string.IsNullOrWhiteSpace(error["hint"]?.GetValue<string>()));
        Assert.Empty(response.Headers.WwwAuthenticate);
        Assert.Equal(invoices, _host.Count("dev_invoices"));
    }

    [Fact]
    public void The_table_has_at_least_sixty_cases() => Assert.True(Cases.Count >= 60, $"{Cases.Count} cases");

    [Theory]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/vnd.api+json")]
    [InlineData(null)]
    public async Task Json_under_any_json_media_type_or_none_is_read(string? contentType)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/l402/animate-image") { Content = new ByteArrayContent(With("prompt", "\"zoom\\tin\\n\"")()) };
        request.Content.Headers.ContentType = contentType is null ? null : MediaTypeHeaderValue.Parse(contentType);
        using var response = await _host.CreateClient().SendAsync(request);
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
    }
}
