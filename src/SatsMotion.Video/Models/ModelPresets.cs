using System.Globalization;
using System.Text.Json.Nodes;

namespace SatsMotion.Video.Models;

/// <summary>A named model setting (Presets/presets.json): what a provider's model needs, written from its published input schema.</summary>
public sealed record ModelPreset(
    string Name,
    string Slug,
    string Title,
    string Backend,
    string? ProviderModel,
    IReadOnlyList<int> Durations,
    int Fps,
    string FrameRule,
    JsonObject? Input,
    string? Workflow,
    TimeSpan? Timeout,
    IReadOnlyList<string> ModelFiles,
    string Schema);

/// <summary>
/// The presets shipped with the server. An entry of SatsMotion:Models that names one needs only what is the
/// operator's own (a key, an endpoint); every key it sets overrides the preset's.
/// </summary>
public static class ModelPresets
{
    private static readonly Lazy<IReadOnlyList<ModelPreset>> Loaded = new(Load);

    public static IReadOnlyList<ModelPreset> All => Loaded.Value;

    public static ModelPreset? Find(string name) => All.FirstOrDefault(p => p.Name.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>A preset's ComfyUI workflow (API format, with placeholders).</summary>
    public static JsonObject WorkflowOf(ModelPreset preset) => Resource($"Presets/{preset.Workflow}").AsObject();

    /// <summary>
    /// Fills the keys of <paramref name="model"/> that its entry does not set (<paramref name="isSet"/> names the
    /// entry's keys) from its preset. Throws <see cref="VideoConfigurationException"/> for a name that is no preset.
    /// </summary>
    public static void Apply(ModelSettings model, Func<string, bool> isSet)
    {
        if (model.Preset is null)
        {
            return;
        }

        var preset = Find(model.Preset) ?? throw new VideoConfigurationException(
            $"SatsMotion:Models: '{model.Preset}' is not a preset; the presets are {string.Join(", ", All.Select(p => p.Name))} (the server's 'presets' verb lists them)");
        if (!isSet(nameof(ModelSettings.Slug)))
        {
            model.Slug = preset.Slug;
        }

        model.Name ??= preset.Title;
        if (!isSet(nameof(ModelSettings.Backend)))
        {
            model.Backend = preset.Backend;
        }

        model.ProviderModel ??= preset.ProviderModel;
        if (!isSet(nameof(ModelSettings.Durations)))
        {
            model.Durations = [.. preset.Durations];
        }

        if (!isSet(nameof(ModelSettings.Fps)))
        {
            model.Fps = preset.Fps;
        }

        model.FrameRule ??= preset.FrameRule;
        if (!isSet(nameof(ModelSettings.Timeout)) && preset.Timeout is { } timeout)
        {
            model.Timeout = timeout;
        }

        if (model.Input is null && preset.Input is not null)
        {
            model.UseInput(preset.Input.DeepClone().AsObject());
        }

        if (model.Workflow is null && preset.Workflow is not null)
        {
            model.WorkflowDocument = WorkflowOf(preset);
        }
    }

    /// <summary>The presets as the server's 'presets' verb prints them: name, durations, and where each was written from.</summary>
    public static void Print(TextWriter output)
    {
        foreach (var preset in All)
        {
            output.WriteLine($"{preset.Name}");
            output.WriteLine($"  {preset.Title}; durations {string.Join(", ", preset.Durations)} s at {preset.Fps} fps (frames {preset.FrameRule}); slug {preset.Slug}");
            foreach (var file in preset.ModelFiles)
            {
                output.WriteLine($"  needs {file}");
            }

            output.WriteLine($"  schema: {preset.Schema}");
        }
    }

    private static IReadOnlyList<ModelPreset> Load() => Resource("Presets/presets.json")["presets"]!.AsArray().Select(p => new ModelPreset(
        p!["name"]!.GetValue<string>(),
        p["slug"]!.GetValue<string>(),
        p["title"]!.GetValue<string>(),
        p["backend"]!.GetValue<string>(),
        p["providerModel"]?.GetValue<string>(),
        p["durations"]!.AsArray().Select(d => d!.GetValue<int>()).ToArray(),
        p["fps"]!.GetValue<int>(),
        p["frameRule"]!.GetValue<string>(),
        p["input"] as JsonObject,
        p["workflow"]?.GetValue<string>(),
        p["timeout"]?.GetValue<string>() is { } timeout ? TimeSpan.Parse(timeout, CultureInfo.InvariantCulture) : null,
        p["models"]?.AsArray().Select(m => m!.GetValue<string>()).ToArray() ?? [],
        p["schema"]!.GetValue<string>())).ToList();

    private static JsonNode Resource(string name)
    {
        using var stream = typeof(ModelPresets).Assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"the preset resource {name} is missing from the build");
        return JsonNode.Parse(stream)!;
    }
}
