using System.Text.Json.Nodes;
using SatsMotion.Video.Remote;

namespace SatsMotion.Video.Tests;

/// <summary>The preflight's one line names the field that breaks the schema, not a branch another one made up for.</summary>
public sealed class InputPreflightTests
{
    // A fal-style input component: a nullable field (anyOf with a "null" branch) before an enum.
    private static readonly JsonNode Document = JsonNode.Parse("""
        {"components": {"schemas": {"Input": {"type": "object", "properties": {
          "frames_per_second": {"anyOf": [{"type": "integer", "minimum": 4, "maximum": 60}, {"type": "null"}]},
          "resolution": {"type": "string", "enum": ["480p", "720p"]}}}}}}
        """)!;

    [Fact]
    public void A_nullable_field_that_holds_a_number_is_not_named_for_another_fields_fault()
    {
        var schema = InputPreflight.FromOpenApi(Document, "#/components/schemas/Input");
        var input = JsonNode.Parse("""{"frames_per_second": 16, "resolution": "1080p"}""");
        var result = schema.Evaluate(System.Text.Json.JsonDocument.Parse(input!.ToJsonString()).RootElement, new Json.Schema.EvaluationOptions { OutputFormat = Json.Schema.OutputFormat.List });
        Assert.Equal(["/resolution"], InputPreflight.Failures(result).Select(f => f.Pointer).Distinct());
        Assert.StartsWith("for 5 s, input 'resolution': ", InputPreflight.FirstProblem(schema, [(5, input)]), StringComparison.Ordinal);
    }

    [Fact]
    public void A_nullable_field_out_of_range_is_named()
    {
        var schema = InputPreflight.FromOpenApi(Document, "#/components/schemas/Input");
        var problem = InputPreflight.FirstProblem(schema, [(5, JsonNode.Parse("""{"frames_per_second": 90, "resolution": "480p"}"""))]);
        Assert.NotNull(problem);
        Assert.StartsWith("for 5 s, input 'frames_per_second': ", problem, StringComparison.Ordinal);
    }
}
