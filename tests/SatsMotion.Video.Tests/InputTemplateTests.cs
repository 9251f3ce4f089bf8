using System.Text.Json.Nodes;
using SatsMotion.Video.Models;
using SatsMotion.Video.Remote;

namespace SatsMotion.Video.Tests;

/// <summary>Placeholders as the providers' schemas need them, and frame counts by each model's rule.</summary>
public sealed class InputTemplateTests
{
    private static JsonNode Fill(string template, int seconds = 5, int frames = 81) =>
        InputTemplate.Fill(JsonNode.Parse(template), InputTemplate.Values("data:x", new ProviderJob("job", [], "image/png", "a pan", seconds, frames, 42)))!;

    [Fact]
    public void A_whole_placeholder_keeps_its_type_and_string_gives_its_text()
    {
        var filled = Fill("""{"duration": "{duration}", "text": "{duration:string}", "frames": "{frames}", "seed": "{seed}", "mixed": "{duration} s", "literal": "5"}""");
        Assert.Equal(System.Text.Json.JsonValueKind.Number, filled["duration"]!.GetValueKind());
        Assert.Equal("5", filled["text"]!.GetValue<string>());
        Assert.Equal(81, filled["frames"]!.GetValue<int>());
        Assert.Equal(42, filled["seed"]!.GetValue<long>());
        Assert.Equal("5 s", filled["mixed"]!.GetValue<string>());
        Assert.Equal("5", filled["literal"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("exact", 5, 16, 80)]
    [InlineData("4n+1", 5, 16, 81)]
    [InlineData("4n+1", 3, 16, 49)]
    [InlineData("4n+1", 7, 16, 113)]
    [InlineData("8n+1", 5, 24, 121)]
    [InlineData("8n+1", 3, 24, 73)]
    public void Frames_follow_the_models_rule_never_fewer_than_asked(string rule, int seconds, int fps, int frames)
    {
        Assert.Equal(frames, FrameRule.Parse(rule).Frames(seconds, fps));
        Assert.True(frames >= seconds * fps);
    }

    [Theory]
    [InlineData("4n")]
    [InlineData("n+1")]
    [InlineData("0n+1")]
    public void A_rule_that_is_none_is_refused(string rule) => Assert.Throws<FormatException>(() => FrameRule.Parse(rule));

    // The presets issue 20 names, exactly, written by hand.
    private static readonly string[] IssuePresets =
    [
        "replicate/wan-video/wan-2.2-i2v-fast",
        "replicate/kwaivgi/kling-v2.1",
        "replicate/minimax/hailuo-02",
        "replicate/bytedance/seedance-1-lite",
        "fal/fal-ai/kling-video/v2.1/standard/image-to-video",
        "fal/fal-ai/wan/v2.2-a14b/image-to-video",
        "fal/fal-ai/minimax/hailuo-02/standard/image-to-video",
        "comfyui/wan2.2-i2v",
        "comfyui/ltxv-i2v",
    ];

    [Fact]
    public void The_presets_are_exactly_the_nine_the_issue_names() => Assert.Equal(IssuePresets, ModelPresets.All.Select(p => p.Name));

    /// <summary>
    /// What a preset sends for each duration it offers, written by hand: the field (a workflow's "node.input"), the
    /// value per duration, and the range the model's schema allows for it (for a frame count: min, max and, where
    /// ComfyUI's node has one, the step). Frame counts follow the rule: 4n+1 (Wan) or 8n+1 (LTX-Video), the next
    /// such count at or above seconds × fps; an exact model gets the seconds themselves.
    /// </summary>
    public static TheoryData<string, string, string, int, int[], string, string> Sent => new()
    {
        // preset, rule, field, fps, durations, values sent (JSON), allowed (min..max[/step], or a JSON list)
        { "replicate/wan-video/wan-2.2-i2v-fast", "4n+1", "num_frames", 16, [5, 6, 7], "[81, 97, 113]", "81..121" },
        { "replicate/kwaivgi/kling-v2.1", "exact", "duration", 24, [5, 10], "[5, 10]", "[5, 10]" },
        { "replicate/minimax/hailuo-02", "exact", "duration", 24, [6, 10], "[6, 10]", "[6, 10]" },
        { "replicate/bytedance/seedance-1-lite", "exact", "duration", 24, [5, 10], "[5, 10]", "[5, 10]" },
        { "fal/fal-ai/kling-video/v2.1/standard/image-to-video", "exact", "duration", 24, [5, 10], "[\"5\", \"10\"]", "[\"5\", \"10\"]" },
        { "fal/fal-ai/wan/v2.2-a14b/image-to-video", "4n+1", "num_frames", 16, [3, 5, 8, 10], "[49, 81, 129, 161]", "17..161" },
        { "fal/fal-ai/minimax/hailuo-02/standard/image-to-video", "exact", "duration", 24, [6, 10], "[\"6\", \"10\"]", "[\"6\", \"10\"]" },
        { "comfyui/wan2.2-i2v", "4n+1", "10.length", 16, [3, 4, 5], "[49, 65, 81]", "1..16384/4" },
        { "comfyui/ltxv-i2v", "8n+1", "7.length", 24, [3, 5, 8, 10], "[73, 121, 193, 241]", "9..16384/8" },
    };

    [Theory]
    [MemberData(nameof(Sent))]
    public void Each_preset_sends_for_each_duration_what_its_frame_rule_and_its_schema_allow(string name, string rule, string field, int fps, int[] durations, string values, string allowed)
    {
        // The preset as an operator's entry gets it: applied to a bare entry, filled as a job of each length fills it.
        var model = new ModelSettings { Preset = name };
        ModelPresets.Apply(model, _ => false);
        var lengths = model.Lengths;
        Assert.Equal(durations, lengths.Durations);
        Assert.Equal(rule, lengths.FrameRule.ToString());
        Assert.Equal(fps, lengths.Fps);
        var template = (JsonNode?)model.Input ?? model.WorkflowDocument!;
        var expected = JsonNode.Parse(values)!.AsArray();
        foreach (var (seconds, want) in durations.Zip(expected))
        {
            var filled = InputTemplate.Fill(template, InputTemplate.Values("data:x", new ProviderJob("job", [], "image/png", "a pan", seconds, lengths.Frames(seconds), 42)))!;
            var sent = field.Split('.') is [var node, var input] ? filled[node]!["inputs"]![input] : filled[field];
            Assert.True(JsonNode.DeepEquals(want, sent), $"{name}, {seconds} s: sent {sent?.ToJsonString()}, expected {want!.ToJsonString()}");
            if (rule == "exact")
            {
                Assert.Equal(seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), sent!.ToString());
                Assert.Contains(JsonNode.Parse(allowed)!.AsArray(), a => JsonNode.DeepEquals(a, sent));
                continue;
            }

            // k·n+1, never fewer frames than the seconds ask, and the next such count (not one more step).
            var frames = sent!.GetValue<int>();
            var step = int.Parse(rule[..rule.IndexOf('n', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(1, frames % step);
            Assert.InRange(frames - seconds * fps, 0, step - 1);

            var range = allowed.Split("..");
            var (min, maxAndStep) = (int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture), range[1].Split('/'));
            Assert.InRange(frames, min, int.Parse(maxAndStep[0], System.Globalization.CultureInfo.InvariantCulture));
            if (maxAndStep.Length > 1)
            {
                Assert.Equal(0, (frames - min) % int.Parse(maxAndStep[1], System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }

    [Fact]
    public void Every_preset_names_its_schema_and_a_shipped_workflow_has_the_image_placeholder()
    {
        foreach (var preset in ModelPresets.All)
        {
            Assert.False(string.IsNullOrWhiteSpace(preset.Schema), preset.Name);
            if (preset.Workflow is not null)
            {
                Assert.Contains("{image}", ModelPresets.WorkflowOf(preset).ToJsonString(), StringComparison.Ordinal);
                Assert.NotEmpty(preset.ModelFiles);
            }
            else
            {
                Assert.Contains("{image}", preset.Input!.ToJsonString(), StringComparison.Ordinal);
            }
        }
    }
}
