using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using SatsMotion.Server.Configuration;
using SatsMotion.Testing;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace SatsMotion.Server.Tests;

/// <summary>
/// What can be checked of the container files without a container engine (none runs on these machines): compose.yaml
/// parses (with its anchors and merge keys), and every setting it gives a SatsMotion service, and every one the
/// Dockerfile sets, is one the server reads: an environment variable the server's code asks for, or a configuration
/// key (SatsMotion__A__B) that names a property of the settings it binds.
/// </summary>
public sealed class DeploymentFilesTests
{
    private static readonly string Root = RepositoryPaths.Root;

    private static HashSet<string> VariablesTheServerReads()
    {
        var names = ServerSettings.Variables();
        Assert.Contains("SATSMOTION_DATABASE", names); // the scan itself works
        return names;
    }

    private static bool IsSetting(string[] path) => ServerSettings.IsSetting(path);

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
    public void The_build_context_leaves_out_build_output_local_data_and_the_secrets_compose_mounts()
    {
        var patterns = File.ReadAllLines(Path.Combine(Root, ".dockerignore")).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        foreach (var required in new[] { "**/bin/", "**/obj/", "**/node_modules/", ".git/", "/data/" })
        {
            Assert.Contains(required, patterns);
        }

        var compose = File.ReadAllText(Path.Combine(Root, "compose.yaml"));
        var secrets = Regex.Matches(compose, @"file: \./([\w.-]+)").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(secrets);
        foreach (var secret in secrets)
        {
            Assert.True(patterns.Any(p => System.IO.Enumeration.FileSystemName.MatchesSimpleExpression(p, secret)), $"{secret} would be sent to the build");
        }
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
}
