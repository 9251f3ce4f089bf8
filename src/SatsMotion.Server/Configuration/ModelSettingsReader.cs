using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration.Json;
using SatsMotion.Video.Models;

namespace SatsMotion.Server.Configuration;

/// <summary>
/// Reads SatsMotion:Models. Every key binds as usual; a model's Input object is taken as written in the last JSON
/// settings file that lists the models, so its numbers stay numbers and its strings strings. Given only through
/// other sources (environment variables), Input is either one JSON text (SatsMotion__Models__0__Input='{"duration":"5"}'),
/// kept as written, or rebuilt from its keys: values that read as numbers or booleans become them, and a value in
/// double quotes ("5") stays the text inside. An entry with a Preset takes every key it does not set from it, one
/// without an Id gets the next free one, and a relative ApiKeyFile is read beside the settings file that lists the models.
/// </summary>
public static class ModelSettingsReader
{
    public const string Section = SatsMotionOptions.Section + ":Models";

    /// <summary>The configured models, or null when the setting is absent (the catalog is then motion alone).</summary>
    public static IReadOnlyList<ModelSettings>? Read(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        if (!section.Exists())
        {
            return null;
        }

        var (raw, folder) = RawModels(configuration);
        var models = new List<ModelSettings>();
        foreach (var entry in section.GetChildren().OrderBy(c => int.TryParse(c.Key, CultureInfo.InvariantCulture, out var i) ? i : int.MaxValue))
        {
            var model = new ModelSettings();
            try
            {
                entry.Bind(model);
            }
            catch (InvalidOperationException e)
            {
                throw new VideoConfigurationException($"{Section}:{entry.Key}: {e.Message}");
            }

            var input = raw?.ElementAtOrDefault(models.Count)?["Input"] as JsonObject ?? FromText(entry.GetSection("Input")) as JsonObject;
            model.UseInput(input?.DeepClone().AsObject());
            ModelPresets.Apply(model, key => entry.GetSection(key).Exists());

            // A key file named without a folder sits beside the settings file that lists the models (not wherever the
            // server was started from: a service manager may start it from /).
            if (model.ApiKeyFile is { Length: > 0 } keyFile && !Path.IsPathRooted(keyFile) && folder is not null)
            {
                model.ApiKeyFile = Path.Combine(folder, keyFile);
            }

            models.Add(model);
        }

        // Ids an entry leaves out follow the highest one given.
        var next = models.Select(m => m.Id).DefaultIfEmpty(0).Max();
        foreach (var model in models.Where(m => m.Id == 0))
        {
            model.Id = ++next;
        }

        return models;
    }

    private static JsonNode? FromText(IConfigurationSection section)
    {
        if (section.Value is { } text && text.TrimStart().StartsWith('{'))
        {
            try
            {
                return JsonNode.Parse(text);
            }
            catch (System.Text.Json.JsonException e)
            {
                throw new VideoConfigurationException($"{section.Path}: not a JSON object ({e.Message})");
            }
        }

        return Rebuild(section);
    }

    // The model list as written in the last JSON settings file that has one, and that file's folder.
    private static (JsonArray? Models, string? Folder) RawModels(IConfiguration configuration)
    {
        (JsonArray? Models, string? Folder) found = (null, null);
        foreach (var provider in (configuration as IConfigurationRoot)?.Providers.OfType<JsonConfigurationProvider>() ?? [])
        {
            var path = provider.Source.FileProvider?.GetFileInfo(provider.Source.Path ?? "").PhysicalPath;
            if (path is null || !File.Exists(path))
            {
                continue;
            }

            var options = new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true };
            if (JsonNode.Parse(File.ReadAllText(path), documentOptions: options)?[SatsMotionOptions.Section]?["Models"] is JsonArray models)
            {
                found = (models, Path.GetDirectoryName(path));
            }
        }

        return found;
    }

    private static JsonNode? Rebuild(IConfigurationSection section)
    {
        var children = section.GetChildren().ToList();
        if (children.Count == 0)
        {
            return section.Value switch
            {
                null => null,
                var text when text.Length >= 2 && text[0] == '"' && text[^1] == '"' => JsonValue.Create(text[1..^1]),
                var text when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var whole) => JsonValue.Create(whole),
                var text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
                var text when bool.TryParse(text, out var flag) => JsonValue.Create(flag),
                var text => JsonValue.Create(text),
            };
        }

        return children.All(c => int.TryParse(c.Key, CultureInfo.InvariantCulture, out _))
            ? new JsonArray(children.OrderBy(c => int.Parse(c.Key, CultureInfo.InvariantCulture)).Select(Rebuild).ToArray())
            : new JsonObject(children.Select(c => KeyValuePair.Create(c.Key, Rebuild(c))));
    }
}
