using System.Text.Json.Nodes;
using SatsMotion.Video.ComfyUi;
using SatsMotion.Video.Models;

namespace SatsMotion.Backends.Tests.Video.ComfyUi;

/// <summary>
/// The workflow check against ComfyUI's own answers: Video/Schemas/comfyui/validation_cases.json holds what
/// execution.validate_prompt of Comfy-Org/ComfyUI a125cd84 answered for each workflow (valid ones and one kind of
/// fault each). Ours must accept and refuse the same, and file the same errors under the same nodes.
/// </summary>
public sealed class ComfyWorkflowCheckTests
{
    public static JsonObject ObjectInfo => Load("object_info.json");

    private static readonly JsonArray Cases = Load("validation_cases.json")["cases"]!.AsArray();

    public static JsonObject Load(string file) => JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Video", "Schemas", "comfyui", file)))!.AsObject();

    public static TheoryData<string> Names => [.. Cases.Select(c => c!["name"]!.GetValue<string>())];

    [Theory]
    [MemberData(nameof(Names))]
    public void Accepts_and_refuses_as_ComfyUI_does(string name)
    {
        var expected = Cases.Single(c => c!["name"]!.GetValue<string>() == name)!;
        var validation = ComfyWorkflowCheck.Validate(expected["prompt"]!.AsObject(), ObjectInfo);
        var body = expected["body"]!;

        Assert.Equal(expected["status"]!.GetValue<int>(), validation.Accepted ? 200 : 400);
        if (body["error"] is JsonObject error)
        {
            Assert.NotNull(validation.PromptError);
            Assert.Equal(error["type"]!.GetValue<string>(), validation.PromptError!.Type);
            Assert.Equal(error["message"]!.GetValue<string>(), validation.PromptError.Message);
            Assert.Equal(error["details"]!.GetValue<string>(), validation.PromptError.Details);
        }

        var nodes = body["node_errors"]!.AsObject();
        Assert.Equal(nodes.Select(n => n.Key).Order(), validation.NodeErrors.Keys.Order());
        foreach (var (id, node) in nodes)
        {
            var ours = validation.NodeErrors[id];
            Assert.Equal(node!["class_type"]!.GetValue<string>(), ours.ClassType);
            Assert.Equal(node["dependent_outputs"]!.AsArray().Select(o => o!.GetValue<string>()).Order(), ours.DependentOutputs.Order());
            var theirs = node["errors"]!.AsArray().Select(e => (Type: e!["type"]!.GetValue<string>(), Message: e["message"]!.GetValue<string>(), Details: e["details"]!.GetValue<string>(),
                Input: e["extra_info"]?["input_name"]?.GetValue<string>())).OrderBy(e => e.Details).ToList();
            var mine = ours.Errors.OrderBy(e => e.Details).ToList();
            Assert.Equal(theirs.Count, mine.Count);
            foreach (var (their, my) in theirs.Zip(mine))
            {
                Assert.Equal(their.Type, my.Type);
                Assert.Equal(their.Message, my.Message);
                Assert.Equal(their.Input, my.InputName);

                // A conversion failure ends with Python's own exception text, which is not ours to copy.
                Assert.StartsWith(my.Details, their.Details, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Every_case_is_read() => Assert.True(Cases.Count >= 50);

    /// <summary>
    /// The recorded answers for the shipped workflows are worth something only while they are of these workflows:
    /// each recorded prompt is its preset's workflow with the placeholders filled, node for node and input for input.
    /// </summary>
    [Theory]
    [InlineData("comfyui/wan2.2-i2v", "shipped_wan2.2-i2v")]
    [InlineData("comfyui/ltxv-i2v", "shipped_ltxv-i2v")]
    public void The_recorded_answers_are_of_the_workflows_that_ship(string preset, string name)
    {
        var shipped = ModelPresets.WorkflowOf(ModelPresets.Find(preset)!);
        var recorded = Cases.Single(c => c!["name"]!.GetValue<string>() == name)!["prompt"]!.AsObject();
        Assert.Equal(shipped.Select(n => n.Key).Order(), recorded.Select(n => n.Key).Order());
        foreach (var (id, node) in shipped)
        {
            var theirs = recorded[id]!;
            Assert.Equal(node!["class_type"]!.GetValue<string>(), theirs["class_type"]!.GetValue<string>());
            var (inputs, filled) = (node["inputs"]!.AsObject(), theirs["inputs"]!.AsObject());
            Assert.Equal(inputs.Select(i => i.Key).Order(), filled.Select(i => i.Key).Order());
            foreach (var (input, value) in inputs)
            {
                var isPlaceholder = value is JsonValue text && text.TryGetValue<string>(out var s) && s.StartsWith('{') && s.EndsWith('}');
                Assert.True(isPlaceholder || JsonNode.DeepEquals(value, filled[input]), $"node {id} input {input}: {value?.ToJsonString()} shipped, {filled[input]?.ToJsonString()} recorded");
            }
        }
    }
}
