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

    [Fact]
    public void Every_preset_offers_frames_on_its_rule_and_a_shipped_workflow_has_the_image_placeholder()
    {
        Assert.Equal(9, ModelPresets.All.Count);
        foreach (var preset in ModelPresets.All)
        {
            Assert.NotEmpty(preset.Durations);
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
