using System.Collections;
using System.Reflection;
using System.Text.RegularExpressions;
using SatsMotion.Server.Configuration;
using SatsMotion.Testing;
using SatsMotion.Video.Models;

namespace SatsMotion.Server.Tests;

/// <summary>
/// The names of the settings the server reads, from its own code: the SATSMOTION_* variables it asks the environment
/// for, and the SatsMotion:A:B… keys that are properties of the options it binds (lists take an index), the model
/// entries' keys, or the keys it reads directly (ServerComposition's Setting calls).
/// </summary>
public static partial class ServerSettings
{
    private static readonly string Source = Path.Combine(RepositoryPaths.Root, "src", "SatsMotion.Server");

    public static HashSet<string> Variables()
    {
        var source = string.Concat(Directory.EnumerateFiles(Source, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)).Select(File.ReadAllText));
        return EnvironmentReads().Matches(source).Select(m => m.Groups[1].Value)
            .Concat(SettingReads().Matches(source).Select(m => "SATSMOTION_" + m.Groups[1].Value.ToUpperInvariant()))
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Whether SatsMotion:<paramref name="path"/> names a setting.</summary>
    public static bool IsSetting(string[] path)
    {
        var direct = SettingReads().Matches(File.ReadAllText(Path.Combine(Source, "ServerComposition.cs"))).Select(m => m.Groups[1].Value);
        if (direct.Contains(path[0], StringComparer.OrdinalIgnoreCase))
        {
            return path.Length == 1;
        }

        var models = string.Equals(path[0], "Models", StringComparison.OrdinalIgnoreCase);
        var type = models ? typeof(ModelList) : typeof(SatsMotionOptions);
        foreach (var part in path)
        {
            // A model's Input is the provider's own JSON.
            if (type == typeof(System.Text.Json.Nodes.JsonObject))
            {
                return true;
            }

            if (type != typeof(string) && type.GetInterface(nameof(IList)) is not null)
            {
                if (!int.TryParse(part, out _))
                {
                    return false;
                }

                type = type.IsArray ? type.GetElementType()! : type.GetGenericArguments()[0];
                continue;
            }

            var property = type.GetProperty(part, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || !property.CanWrite)
            {
                return false;
            }

            type = property.PropertyType;
        }

        return true;
    }

    private sealed class ModelList
    {
        public List<ModelSettings> Models { get; set; } = [];
    }

    [GeneratedRegex("GetEnvironmentVariable\\(\"(SATSMOTION_[A-Z_]+)\"\\)")]
    private static partial Regex EnvironmentReads();

    [GeneratedRegex("Setting\\(configuration, \"(\\w+)\"\\)")]
    private static partial Regex SettingReads();
}
