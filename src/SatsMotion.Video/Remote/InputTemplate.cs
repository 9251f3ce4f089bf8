using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SatsMotion.Video.Remote;

/// <summary>
/// The operator's provider input (or ComfyUI workflow) with placeholders: {image}, {prompt}, {duration}, {frames}
/// (the model's frame rule applied) and {seed}. A string that is exactly one placeholder takes the value with its
/// type ("{duration}" becomes the number 5), or its text with ":string" ("{duration:string}" becomes "5", as fal's
/// Kling and Hailuo take it); a placeholder inside a longer string is replaced by its text. Unknown placeholders
/// are left alone.
/// </summary>
public static partial class InputTemplate
{
    public static readonly IReadOnlyList<string> Placeholders = ["image", "prompt", "duration", "frames", "seed"];

    public static JsonNode? Fill(JsonNode? template, IReadOnlyDictionary<string, JsonNode> values) => template switch
    {
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, Fill(p.Value, values)))),
        JsonArray array => new JsonArray(array.Select(item => Fill(item, values)).ToArray()),
        JsonValue value when value.TryGetValue<string>(out var text) => FillText(text, values),
        _ => template?.DeepClone(),
    };

    /// <summary>The values a job gives the placeholders; <paramref name="image"/> is what the provider takes (a data URI, a URL, a file name).</summary>
    public static Dictionary<string, JsonNode> Values(string image, ProviderJob job) => new()
    {
        ["image"] = JsonValue.Create(image),
        ["prompt"] = JsonValue.Create(job.Prompt),
        ["duration"] = JsonValue.Create(job.DurationSeconds),
        ["frames"] = JsonValue.Create(job.Frames),
        ["seed"] = JsonValue.Create(job.Seed),
    };

    private static JsonNode FillText(string text, IReadOnlyDictionary<string, JsonNode> values)
    {
        var whole = PlaceholderPattern().Match(text);
        if (whole.Success && whole.Length == text.Length && values.TryGetValue(whole.Groups[1].Value, out var typed))
        {
            return whole.Groups[2].Success ? JsonValue.Create(Text(typed)) : typed.DeepClone();
        }

        return JsonValue.Create(PlaceholderPattern().Replace(text, m => values.TryGetValue(m.Groups[1].Value, out var v) ? Text(v) : m.Value));
    }

    private static string Text(JsonNode value) => value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value.ToJsonString();

    [GeneratedRegex(@"\{(image|prompt|duration|frames|seed)(:string)?\}")]
    private static partial Regex PlaceholderPattern();
}
