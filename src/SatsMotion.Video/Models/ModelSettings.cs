using System.Text.Json.Nodes;

namespace SatsMotion.Video.Models;

/// <summary>
/// One entry of the operator's model list (SatsMotion:Models). The key names are those of docs/operators/models.md: operators copy them.
/// </summary>
public sealed class ModelSettings
{
    /// <summary>A preset's name (<see cref="ModelPresets"/>): it supplies every key the entry does not set.</summary>
    public string? Preset { get; set; }

    public int Id { get; set; }

    public string Slug { get; set; } = "";

    public string? Name { get; set; }

    public string? Description { get; set; }

    /// <summary>motion, replicate, fal or comfyui.</summary>
    public string Backend { get; set; } = "motion";

    /// <summary>The provider's base URL; default its public API (ComfyUI has none: required).</summary>
    public string? Endpoint { get; set; }

    public string? ApiKey { get; set; }

    /// <summary>A file holding the key (kept out of the settings file).</summary>
    public string? ApiKeyFile { get; set; }

    /// <summary>Replicate "owner/name" or "owner/name:version"; the fal application id.</summary>
    public string? ProviderModel { get; set; }

    /// <summary>
    /// The provider input with placeholders, as written in the settings file (types kept). Not bound like the
    /// other keys: configuration would turn every number into a string; <see cref="UseInput"/> sets it.
    /// </summary>
    public JsonObject? Input { get; private set; }

    /// <summary>ComfyUI: path of an API-format workflow JSON with placeholders.</summary>
    public string? Workflow { get; set; }

    /// <summary>ComfyUI: a preset's workflow, used when <see cref="Workflow"/> names no file.</summary>
    public JsonObject? WorkflowDocument { get; set; }

    public int SatsPerSecond { get; set; } = 100;

    public List<int>? Durations { get; set; }

    public int Fps { get; set; } = 24;

    /// <summary>How {frames} follows from the duration: exact (seconds × fps), 4n+1 (Wan) or 8n+1 (LTX-Video).</summary>
    public string? FrameRule { get; set; }

    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(15);

    public bool Default { get; set; }

    public ModelSettings UseInput(JsonObject? input)
    {
        Input = input;
        return this;
    }

    public bool IsAi => !Backend.Equals("motion", StringComparison.OrdinalIgnoreCase);

    /// <summary>The lengths this model offers and their frame counts.</summary>
    public OfferedLengths Lengths => new(
        Durations is { Count: > 0 } ? Durations.Distinct().Order().ToArray() : ModelDescriptor.StandardDurations, Fps, Models.FrameRule.Parse(FrameRule));

    /// <summary>The API key, from ApiKey or ApiKeyFile; null when neither is set or the file cannot be read.</summary>
    public string? ReadApiKey()
    {
        if (!string.IsNullOrWhiteSpace(ApiKey))
        {
            return ApiKey.Trim();
        }

        try
        {
            return ApiKeyFile is null ? null : File.ReadAllText(ApiKeyFile).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public ModelDescriptor Describe(string defaultName, string output) => new(
        Id,
        Slug,
        Name ?? defaultName,
        Description ?? (IsAi ? $"AI image-to-video ({Backend}{(ProviderModel is null ? "" : $": {ProviderModel}")})" : "Local camera move, non-AI"),
        SatsPerSecond,
        Lengths.Durations,
        output,
        IsAi);
}
