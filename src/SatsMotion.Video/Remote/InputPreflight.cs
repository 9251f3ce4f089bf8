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
                var problem = Failures(result).Select(f => $"{Field(f.Pointer)}: {f.Message}").FirstOrDefault() ?? "it does not fit";
                return $"for {seconds} s, {problem}";
            }
        }

        return null;
    }

    /// <summary>
    /// Each keyword an input failed (<paramref name="result"/> in the List format): where in the input, the keyword and
    /// its message. Not failures: what an "if" tried, and a branch of an anyOf or oneOf whose holder passed through
    /// another branch (the "null" branch of a nullable field that holds a number).
    /// </summary>
    public static IEnumerable<(string Pointer, string Keyword, string Message)> Failures(EvaluationResults result)
    {
        var details = result.IsValid ? [] : result.Details ?? [];
        var passed = details.Where(d => d.IsValid).Select(d => d.EvaluationPath.ToString()).ToHashSet();
        foreach (var detail in details.Where(d => d.Errors is { Count: > 0 }))
        {
            var path = detail.EvaluationPath.ToString();
            if (path.Contains("/if", StringComparison.Ordinal) || InBranchMadeUpFor(path, passed))
            {
                continue;
            }

            foreach (var (keyword, message) in detail.Errors!)
            {
                yield return (detail.InstanceLocation.ToString(), keyword, message);
            }
        }
    }

    private static bool InBranchMadeUpFor(string path, HashSet<string> passed)
    {
        foreach (var branches in (string[])["/anyOf/", "/oneOf/"])
        {
            for (var at = path.IndexOf(branches, StringComparison.Ordinal); at >= 0; at = path.IndexOf(branches, at + 1, StringComparison.Ordinal))
            {
                if (passed.Contains(path[..at]))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// The preflight of a remote model's template against the schema <paramref name="readSchema"/> fetches: the model
    /// takes work unchecked when <paramref name="schemaName"/> cannot be read, is unfit when a sample breaks it (the
    /// line names <paramref name="owner"/>'s schema and the field), else fits.
    /// </summary>
    public static async Task<ModelAvailability> CheckAsync(Func<Task<JsonSchema>> readSchema, string schemaName, string owner, JsonNode input, OfferedLengths lengths)
    {
        JsonSchema schema;
        try
        {
            schema = await readSchema();
        }
        catch (VideoGenerationException e)
        {
            return ModelAvailability.InputNotChecked($"{schemaName} could not be read ({e.Detail})");
        }

        return FirstProblem(schema, Samples(input, lengths)) is { } problem ? Unfit($"the input does not fit {owner}'s schema {problem}") : ModelAvailability.Yes;
    }

    /// <summary>A model whose template does not fit: unavailable, and the line is safe to show callers (it names a field and a rule).</summary>
    public static ModelAvailability Unfit(string problem) => new(false, problem, problem);

    private static string Field(string pointer) => pointer is "" or "/" ? "the input" : $"input '{pointer.TrimStart('/').Replace('/', '.')}'";
}
