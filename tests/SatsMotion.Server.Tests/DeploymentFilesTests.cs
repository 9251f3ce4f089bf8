using System.Collections;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using SatsMotion.Server.Configuration;
using SatsMotion.Testing;
using SatsMotion.Video.Models;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace SatsMotion.Server.Tests;

/// <summary>
/// What can be checked of the container files without a container engine (none runs on these machines): compose.yaml
/// parses (with its anchors and merge keys), and every setting it gives a SatsMotion service, and every one the
/// Dockerfile sets, is one the server reads: an environment variable the server's code asks for, or a configuration
/// key (SatsMotion__A__B) that names a property of the settings it binds.
/// </summary>
public sealed partial class DeploymentFilesTests
{
    private static readonly string Root = RepositoryPaths.Root;

    /// <summary>The SATSMOTION_* variables the server's own code reads: its GetEnvironmentVariable calls and its Setting(configuration, "X") fallbacks.</summary>
    private static HashSet<string> VariablesTheServerReads()
    {
        var source = string.Concat(Directory.EnumerateFiles(Path.Combine(Root, "src", "SatsMotion.Server"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)).Select(File.ReadAllText));
        var names = EnvironmentReads().Matches(source).Select(m => m.Groups[1].Value)
            .Concat(SettingReads().Matches(source).Select(m => "SATSMOTION_" + m.Groups[1].Value.ToUpperInvariant()))
            .ToHashSet(StringComparer.Ordinal);
        Assert.Contains("SATSMOTION_DATABASE", names); // the scan itself works
        return names;
    }

    /// <summary>Whether SatsMotion:A:B… names a setting: a property path of the options (lists take an index), or a key read directly.</summary>
    private static bool IsSetting(string[] path)
    {
        var direct = SettingReads().Matches(File.ReadAllText(Path.Combine(Root, "src", "SatsMotion.Server", "ServerComposition.cs"))).Select(m => m.Groups[1].Value).ToList();
        if (direct.Contains(path[0], StringComparer.OrdinalIgnoreCase))
        {
            return path.Length == 1;
        }

        Type type = string.Equals(path[0], "Models", StringComparison.OrdinalIgnoreCase) ? typeof(Wrapper) : typeof(SatsMotionOptions);
        foreach (var part in string.Equals(path[0], "Models", StringComparison.OrdinalIgnoreCase) ? ["Models", .. path[1..]] : path)
        {
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

    private sealed class Wrapper
    {
        public List<ModelSettings> Models { get; set; } = [];
    }

    private static Dictionary<object, object> Compose()
    {
        using var reader = new StreamReader(Path.Combine(Root, "compose.yaml"));
        return new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(new MergingParser(new Parser(reader)));
    }

    [Fact]
    public void Every_setting_compose_gives_a_SatsMotion_service_is_one_the_server_reads()
    {
        var variables = VariablesTheServerReads();
        var services = (Dictionary<object, object>)Compose()["services"];
        var ours = services.Where(s => ((Dictionary<object, object>)s.Value).TryGetValue("image", out var image) && (string)image == "satsmotion:local").ToList();
        Assert.Equal(["api-1", "api-2", "worker"], ours.Select(s => (string)s.Key));
        var checkedSettings = 0;
        foreach (var (name, service) in ours)
        {
            var environment = (Dictionary<object, object>)((Dictionary<object, object>)service)["environment"];
            foreach (var key in environment.Keys.Cast<string>())
            {
                checkedSettings++;
                if (key.StartsWith("SatsMotion__", StringComparison.OrdinalIgnoreCase))
                {
                    Assert.True(IsSetting(key.Split("__")[1..]), $"{name}: {key} is no setting of the server");
                }
                else
                {
                    Assert.True(variables.Contains(key), $"{name}: the server reads no variable {key}");
                }
            }

            Assert.Contains("SATSMOTION_DATABASE", environment.Keys.Cast<string>());
            Assert.Contains("SATSMOTION_STORAGE", environment.Keys.Cast<string>());
        }

        Assert.True(checkedSettings >= 20);
        var roles = ours.Select(s => (string)((Dictionary<object, object>)((Dictionary<object, object>)s.Value)["environment"])["SATSMOTION_ROLE"]).ToList();
        Assert.Equal(["api", "api", "worker"], roles);
        Assert.All(roles, role => ServerRoles.Read(new ConfigurationBuilder().AddInMemoryCollection([new("role", role)]).Build()));
    }

    [Fact]
    public void The_check_refuses_what_the_server_does_not_read()
    {
        var variables = VariablesTheServerReads();
        Assert.DoesNotContain("SATSMOTION_LIGHTNING_FILE", variables);
        Assert.False(IsSetting(["AdminKeyPath"]));
        Assert.False(IsSetting(["RateLimits", "ChallengesPerHour"]));
        Assert.False(IsSetting(["TrustedProxies", "first"]));
        Assert.True(IsSetting(["RateLimits", "ChallengesPerMinute"]));
        Assert.True(IsSetting(["Models", "0", "Preset"]));
        Assert.True(IsSetting(["Database"]));
    }

    [Fact]
    public void The_Dockerfile_runs_the_release_as_a_user_with_a_health_check_and_a_data_volume()
    {
        var dockerfile = File.ReadAllText(Path.Combine(Root, "Dockerfile"));
        Assert.Equal(2, Regex.Matches(dockerfile, "^FROM ", RegexOptions.Multiline).Count);
        Assert.Matches(@"(?m)^USER satsmotion$", dockerfile);
        Assert.Matches(@"(?m)^HEALTHCHECK .*http://127\.0\.0\.1:5402/healthz", dockerfile);
        Assert.Matches(@"(?m)^VOLUME \[""/var/lib/satsmotion""\]", dockerfile);
        Assert.Contains("ffmpeg libsecp256k1", dockerfile);
        var variables = VariablesTheServerReads();
        foreach (Match env in Regex.Matches(dockerfile, @"(?m)^ENV (SATSMOTION_\w+)="))
        {
            Assert.Contains(env.Groups[1].Value, variables);
        }

        // The build runs the same publish as scripts/publish (self-contained, single file, ReadyToRun).
        var publish = File.ReadAllText(Path.Combine(Root, "scripts", "publish"));
        foreach (var option in new[] { "--self-contained", "-p:PublishSingleFile=true", "-p:PublishReadyToRun=true" })
        {
            Assert.Contains(option, dockerfile);
            Assert.Contains(option, publish);
        }
    }

    [GeneratedRegex("GetEnvironmentVariable\\(\"(SATSMOTION_[A-Z_]+)\"\\)")]
    private static partial Regex EnvironmentReads();

    [GeneratedRegex("Setting\\(configuration, \"(\\w+)\"\\)")]
    private static partial Regex SettingReads();
}
