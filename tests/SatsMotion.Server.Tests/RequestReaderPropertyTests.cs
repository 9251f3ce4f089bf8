using System.Text;
using CsCheck;
using SatsMotion.Server.Api;
using SatsMotion.Video.Models;
using SatsMotion.Video.Motion;

namespace SatsMotion.Server.Tests;

/// <summary>The request reader answers any bytes with a request or a 4xx naming a field; nothing escapes as an exception.</summary>
public sealed class RequestReaderPropertyTests
{
    private static readonly ModelCatalog Catalog = new([new LocalMotionModel()]);
    private static readonly string Image = Convert.ToBase64String(TestHost.Jpeg(32, 18));

    // Bodies near the grammar: each field's value drawn from values of every JSON type, odd numbers and odd text.
    private static readonly Gen<string> Value = Gen.OneOf(
        Gen.Const("null"), Gen.Const("true"), Gen.Const("[]"), Gen.Const("{}"), Gen.Const("1e308"), Gen.Const("-0"), Gen.Const("3.0"),
        Gen.Int.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        Gen.String.Select(s => System.Text.Json.JsonSerializer.Serialize(s)),
        Gen.Const($"\"{Image}\""), Gen.Const($"\"data:image/jpeg;base64,{Image}\""), Gen.Const("\"zoom in\""));

    private static readonly Gen<byte[]> Body = Gen.OneOf(
        Gen.Byte.Array[0, 200],
        Gen.String.Select(Encoding.UTF8.GetBytes),
        Gen.Select(Value, Value, Value, Value, Gen.Bool, (prompt, image, duration, model, twice) =>
            Encoding.UTF8.GetBytes($"{{\"prompt\":{prompt},\"image\":{image},\"duration\":{duration},\"modelId\":{model}{(twice ? $",\"prompt\":{prompt}" : "")}}}")));

    [Fact]
    public void Any_body_is_a_request_or_a_client_error_naming_its_field() =>
        Body.Sample(bytes =>
        {
            var (request, error) = AnimateRequestReader.Read(bytes, Catalog, 1024 * 1024, 2000);
            Assert.True((request is null) != (error is null));
            Assert.True(error is null || (error.Status is >= 400 and < 500 && error.Field is not null), error?.ToString());
        }, iter: 5_000);
}
