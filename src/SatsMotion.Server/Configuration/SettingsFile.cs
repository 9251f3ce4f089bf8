using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;

namespace SatsMotion.Server.Configuration;

/// <summary>
/// The operator's own settings file (--config FILE or SATSMOTION_CONFIG): read on top of appsettings.json and
/// under environment variables and the command line, so models and secrets live outside the program's folder.
/// </summary>
public static class SettingsFile
{
    /// <summary>Adds the file named by --config or SATSMOTION_CONFIG; returns an error line, or null.</summary>
    public static string? Add(ConfigurationManager configuration)
    {
        var path = configuration["config"] ?? Environment.GetEnvironmentVariable("SATSMOTION_CONFIG");
        if (string.IsNullOrWhiteSpace(path))
        {
            return null;
        }

        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            return $"settings file {full} (--config or SATSMOTION_CONFIG) does not exist";
        }

        var source = new JsonConfigurationSource
        {
            FileProvider = new PhysicalFileProvider(Path.GetDirectoryName(full)!),
            Path = Path.GetFileName(full),
            Optional = false,
            ReloadOnChange = false,
        };
        var sources = configuration.Sources;
        var afterJson = sources.Select((s, i) => (s, i)).LastOrDefault(p => p.s is JsonConfigurationSource).i + 1;
        try
        {
            sources.Insert(afterJson, source);
        }
        catch (InvalidDataException e)
        {
            return $"settings file {full} is not valid JSON: {e.InnerException?.Message ?? e.Message}";
        }

        return null;
    }
}
