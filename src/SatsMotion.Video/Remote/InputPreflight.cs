using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using SatsMotion.Video.Models;

namespace SatsMotion.Video.Remote;

/// <summary>
/// Checks an operator's input template before anyone pays for it: filled for every duration the model offers (with
/// stand-in values for the image, prompt and seed), it must fit the input schema the provider publishes for the
/// model. The first problem names the duration, the field and the rule.
/// </summary>
public static class InputPreflight
{
    /// <summary>What stands in for a caller's image: a data URI, as the hosted providers take it.</summary>
    public const string SampleImage = "data:image/png;base64,iVBORw0KGgo=";

    /// <summary>How long a fetched schema is trusted before the availability check fetches it again.</summary>
    public static readonly TimeSpan SchemaLifetime = TimeSpan.FromHours(1);

    /// <summary>The template as a job of each offered length would fill it, <paramref name="image"/> standing in for the upload.</summary>
    public static IEnumerable<(int Seconds, JsonNode? Input)> Samples(JsonNode template, OfferedLengths lengths, string image = SampleImage) =>
        lengths.Durations.Select(seconds => (seconds, InputTemplate.Fill(template,
            InputTemplate.Values(image, new ProviderJob("preflight", [], "image/png", "preflight: a slow pan", seconds, lengths.Frames(seconds), 1)))));

    /// <summary>
    /// A JSON Schema of an OpenAPI document's component (its $refs to other components resolve in the document):
    /// how Replicate's openapi_schema and fal's per-endpoint OpenAPI describe a model's input.
    /// </summary>
    public static JsonSchema FromOpenApi(JsonNode document, string componentPointer)
    {
        // The components become $defs, where JSON Schema looks for them; OpenAPI's own keywords (nullable, x-order,
        // x-fal-order-properties) are annotations here.
        const string Components = "#/components/schemas/";
        var text = new JsonObject { ["$ref"] = componentPointer, ["$defs"] = document["components"]?["schemas"]?.DeepClone() }.ToJsonString()
            .Replace($"\"{Components}", "\"#/$defs/", StringComparison.Ordinal);
        return JsonSchema.FromText(text, OpenApiOptions);
    }

    private static readonly BuildOptions OpenApiOptions = new() { Dialect = Dialect.Draft202012.With([], allowUnknownKeywords: true) };

    /// <summary>The first way a sample breaks <paramref name="schema"/>, or null when every one fits.</summary>
    public static string? FirstProblem(JsonSchema schema, IEnumerable<(int Seconds, JsonNode? Input)> samples)
    {
        foreach (var (seconds, input) in samples)
        {
            var result = schema.Evaluate(JsonDocument.Parse(input?.ToJsonString() ?? "null").RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
            if (!result.IsValid)
            {
                var problem = (result.Details ?? []).Where(d => d.Errors is { Count: > 0 } && !d.EvaluationPath.ToString().Contains("/if", StringComparison.Ordinal))
                    .Select(d => $"{Field(d.InstanceLocation.ToString())}: {string.Join("; ", d.Errors!.Values)}").FirstOrDefault() ?? "it does not fit";
                return $"for {seconds} s, {problem}";
            }
        }

        return null;
    }

    /// <summary>A model whose template does not fit: unavailable, and the line is safe to show callers (it names a field and a rule).</summary>
    public static ModelAvailability Unfit(string problem) => new(false, problem, problem);

    private static string Field(string pointer) => pointer is "" or "/" ? "the input" : $"input '{pointer.TrimStart('/').Replace('/', '.')}'";
}
