using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace SatsMotion.Backends.Tests.Definitions;

/// <summary>
/// A node's published definition (LND's Swagger 2.0, Core Lightning's RPC schemas, the NIP-47 excerpt) as strict
/// JSON Schema 2020-12, checked with JsonSchema.Net: every object refuses fields its definition does not name (the
/// definitions list every field, and a misspelt one is what a fake must not hide), Swagger's string formats become
/// patterns (int64 as a decimal string, bytes as standard base64), CLN's own types their JSON form (msat and u64 as
/// integers, hashes as hex), and wording-only keywords are dropped.
/// </summary>
public static class StrictSchema
{
    private static readonly HashSet<string> Keywords =
    [
        "type", "properties", "additionalProperties", "required", "items", "enum", "$ref", "allOf", "anyOf", "oneOf", "if", "then", "else", "not",
        "pattern", "minimum", "maximum", "minLength", "maxLength", "minProperties", "const", "$defs",
    ];

    private static readonly Dictionary<string, JsonObject> ClnTypes = new()
    {
        ["msat"] = Integer(),
        ["sat"] = Integer(),
        ["u64"] = Integer(),
        ["u32"] = Integer(),
        ["u16"] = Integer(),
        ["u8"] = Integer(),
        ["hex"] = Pattern("^([0-9a-f]{2})*$"),
        ["hash"] = Pattern("^[0-9a-f]{64}$"),
        ["secret"] = Pattern("^[0-9a-f]{64}$"),
        ["txid"] = Pattern("^[0-9a-f]{64}$"),
        ["pubkey"] = Pattern("^0[23][0-9a-f]{64}$"),
        ["short_channel_id"] = Pattern("^[0-9]+x[0-9]+x[0-9]+$"),
        ["short_channel_id_dir"] = Pattern("^[0-9]+x[0-9]+x[0-9]+/[01]$"),
        ["msat_or_any"] = new JsonObject { ["anyOf"] = new JsonArray(Integer(), Pattern("^([0-9]+(msat|sat|btc)?|any)$")) },
        ["number"] = new JsonObject { ["type"] = "number" },
    };

    /// <summary>Builds <paramref name="schema"/> with the named definitions it refers to (as #/$defs/…).</summary>
    public static JsonSchema Build(JsonNode schema, JsonObject? definitions = null)
    {
        var root = schema.DeepClone().AsObject();
        if (definitions is not null)
        {
            root["$defs"] = definitions.DeepClone();
        }

        return JsonSchema.FromText(root.ToJsonString());
    }

    /// <summary>The problems of <paramref name="json"/> against <paramref name="schema"/>, each with where it is (none when it fits).</summary>
    public static IEnumerable<string> Problems(JsonSchema schema, string json)
    {
        JsonElement instance;
        try
        {
            instance = JsonDocument.Parse(json).RootElement;
        }
        catch (JsonException e)
        {
            return [$"not JSON: {e.Message}"];
        }

        var results = schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
        return results.IsValid ? [] : (results.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(error => $"{d.InstanceLocation}: {error.Key}: {error.Value}")).DefaultIfEmpty("does not fit").ToList();
    }

    /// <summary>A Swagger 2.0 schema (definitions referred to as #/definitions/…).</summary>
    public static JsonNode FromSwagger(JsonNode schema) => Convert(schema, swagger: true);

    /// <summary>A Core Lightning RPC schema (doc/schemas), with CLN's own types.</summary>
    public static JsonNode FromCln(JsonNode schema) => Convert(schema, swagger: false);

    private static JsonNode Convert(JsonNode node, bool swagger)
    {
        if (node is JsonArray array)
        {
            return new JsonArray(array.Select(item => item is null ? null : Convert(item, swagger)).ToArray());
        }

        if (node is not JsonObject schema)
        {
            return node.DeepClone();
        }

        var strict = new JsonObject();
        foreach (var (key, value) in schema)
        {
            if (value is null || !Keywords.Contains(key))
            {
                continue;
            }

            strict[key] = key switch
            {
                "properties" or "$defs" => new JsonObject(value.AsObject().Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Convert(p.Value!, swagger)))),
                "required" or "enum" or "const" => value.DeepClone(),
                "$ref" => value.GetValue<string>().Replace("#/definitions/", "#/$defs/"),
                "additionalProperties" when value is JsonObject { Count: 0 } => true,
                "type" when !swagger && value is JsonValue text && ClnTypes.TryGetValue(text.GetValue<string>(), out _) => null,
                "type" when !swagger && value is JsonValue text && text.GetValue<string>() is not ("string" or "boolean" or "object" or "array" or "integer" or "null")
                    => throw new InvalidOperationException($"Core Lightning type '{text}' has no JSON form here: add it to {nameof(ClnTypes)}"),
                _ => Convert(value, swagger),
            };
        }

        foreach (var key in strict.Where(p => p.Value is null).Select(p => p.Key).ToList())
        {
            strict.Remove(key);
        }

        if (!swagger && schema["type"]?.GetValue<string>() is { } clnType && ClnTypes.TryGetValue(clnType, out var form))
        {
            foreach (var (key, value) in form)
            {
                strict[key] = value!.DeepClone();
            }
        }

        if (swagger && schema["format"]?.GetValue<string>() is { } format && schema["type"]?.GetValue<string>() == "string")
        {
            strict["pattern"] = format switch
            {
                "int64" or "uint64" => "^-?[0-9]+$",
                "byte" => "^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
                _ => strict["pattern"]?.DeepClone(),
            };
        }

        // Every field is named: an object with properties takes no others (unless it says what the others are).
        if (strict["properties"] is not null && strict["additionalProperties"] is null)
        {
            strict["additionalProperties"] = false;
        }

        return strict;
    }

    private static JsonObject Integer() => new() { ["type"] = "integer", ["minimum"] = 0 };

    private static JsonObject Pattern(string pattern) => new() { ["type"] = "string", ["pattern"] = pattern };
}
