using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SatsMotion.Lightning;
using SatsMotion.Server.Configuration;
using SatsMotion.Testing;

namespace SatsMotion.Server.Tests;

/// <summary>
/// The docs keep their word: every JSON settings example in the README, docs/ and deploy/ is one the server reads
/// (each key a setting it knows, the whole accepted by the same reading the server does at start), every relative
/// link leads to a file (and a heading) that exists, every file the architecture map names is there, and the README
/// stays a few screens long, starting with its two commands.
/// </summary>
public sealed partial class DocsTests
{
    private static readonly string Root = RepositoryPaths.Root;

    public static IEnumerable<object[]> Pages() => DocumentPaths().Select(p => new object[] { Path.GetRelativePath(Root, p) });

    private static IEnumerable<string> DocumentPaths() =>
        [Path.Combine(Root, "README.md"), Path.Combine(Root, "SECURITY.md"), .. Directory.EnumerateFiles(Path.Combine(Root, "docs"), "*.md", SearchOption.AllDirectories),
            .. Directory.EnumerateFiles(Path.Combine(Root, "deploy"), "*.md")];

    /// <summary>The settings examples: JSON blocks (and settings files) with a SatsMotion section.</summary>
    public static IEnumerable<object[]> SettingsExamples()
    {
        foreach (var page in DocumentPaths())
        {
            var index = 0;
            foreach (Match block in JsonBlock().Matches(File.ReadAllText(page)))
            {
                index++;
                if (block.Groups[1].Value.Contains("\"SatsMotion\"", StringComparison.Ordinal))
                {
                    yield return [$"{Path.GetRelativePath(Root, page)} #{index}", block.Groups[1].Value];
                }
            }
        }

        yield return ["deploy/settings.example.json", File.ReadAllText(Path.Combine(Root, "deploy", "settings.example.json"))];
    }

    [Theory]
    [MemberData(nameof(SettingsExamples))]
    public void Every_settings_example_is_one_the_server_reads(string where, string json)
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("docs-settings-").FullName, "settings.json");
        File.WriteAllText(file, json);
        var configuration = new ConfigurationManager();
        configuration["config"] = file;
        Assert.Null(SettingsFile.Add(configuration));
        configuration["SatsMotion:DataDirectory"] = Path.GetDirectoryName(file);

        foreach (var key in Leaves(configuration.GetSection(SatsMotionOptions.Section)))
        {
            Assert.True(ServerSettings.IsSetting(key), $"{where}: SatsMotion:{string.Join(':', key)} is no setting of the server");
        }

        // What the server does with it at start, up to the first I/O: wiring (connection strings, models, presets)
        // and binding the options (types).
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSatsMotion(configuration);
        using var provider = services.BuildServiceProvider();
        Assert.NotNull(provider.GetRequiredService<IOptions<SatsMotionOptions>>().Value);
        Assert.NotEmpty(provider.GetRequiredService<Video.Models.ModelCatalog>().All);
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public void Every_relative_link_leads_somewhere(string page)
    {
        var path = Path.Combine(Root, page);
        foreach (Match link in MarkdownLink().Matches(File.ReadAllText(path)))
        {
            var target = link.Groups[1].Value;
            if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal))
            {
                continue;
            }

            var (file, anchor) = target.Split('#', 2) is [var f, var a] ? (f, a) : (target, null);
            var resolved = file.Length == 0 ? path : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, file));
            Assert.True(File.Exists(resolved) || Directory.Exists(resolved), $"{page}: the link to {target} leads nowhere");
            if (anchor is not null)
            {
                Assert.True(Anchors(resolved).Contains(anchor), $"{page}: {Path.GetRelativePath(Root, resolved)} has no heading #{anchor}");
            }
        }
    }

    [Fact]
    public void The_architecture_map_names_files_that_exist()
    {
        var map = File.ReadAllText(Path.Combine(Root, "docs", "architecture.md"));
        var named = CodePath().Matches(map).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.True(named.Count >= 20);
        foreach (var name in named)
        {
            var candidates = new[] { name, Path.Combine("src", "SatsMotion.Server", name), Path.Combine("src", "SatsMotion.Video", name), Path.Combine("src", "SatsMotion.Lightning", name),
                Path.Combine("src", "SatsMotion.L402", name.StartsWith("L402/", StringComparison.Ordinal) ? name["L402/".Length..] : name) };
            Assert.True(candidates.Any(c => File.Exists(Path.Combine(Root, c))), $"docs/architecture.md names {name}, which does not exist");
        }
    }

    [Fact]
    public void The_readme_starts_with_its_two_commands_and_fits_on_a_few_screens()
    {
        var readme = File.ReadAllLines(Path.Combine(Root, "README.md"));
        var firstBlock = string.Join('\n', readme.SkipWhile(l => l != "```").Skip(1).TakeWhile(l => l != "```"));
        Assert.Equal("./run\n./test", firstBlock);
        Assert.InRange(readme.Length, 40, 200);
    }

    private static IEnumerable<string[]> Leaves(IConfigurationSection section)
    {
        var children = section.GetChildren().ToList();
        if (children.Count == 0)
        {
            yield return section.Path.Split(':')[1..];
            yield break;
        }

        // A model's Input (or a workflow's) is the provider's JSON, not settings of ours.
        if (section.Key == "Input" && section.Path.Contains(":Models:", StringComparison.Ordinal))
        {
            yield return section.Path.Split(':')[1..];
            yield break;
        }

        foreach (var leaf in children.SelectMany(Leaves))
        {
            yield return leaf;
        }
    }

    private static HashSet<string> Anchors(string file) =>
        Regex.Matches(File.ReadAllText(file), "^#+ (.+)$", RegexOptions.Multiline)
            .Select(m => Regex.Replace(m.Groups[1].Value.Trim().ToLowerInvariant().Replace(' ', '-'), "[^a-z0-9_-]", ""))
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Every connection string the docs give (Lightning backends, the S3 bucket) is one the server reads, with its
    /// placeholders filled: a 32-byte hex value for each &lt;…&gt; or …, and real files for the paths it names.
    /// </summary>
    [Fact]
    public void Every_connection_string_in_the_docs_is_one_the_server_reads()
    {
        var files = Directory.CreateTempSubdirectory("docs-connections-").FullName;
        var (certificate, macaroon) = (Path.Combine(files, "tls.cert"), Path.Combine(files, "satsmotion.macaroon"));
        using (var key = System.Security.Cryptography.ECDsa.Create())
        {
            var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=node", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
            File.WriteAllText(certificate, request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)).ExportCertificatePem());
        }

        File.WriteAllBytes(macaroon, Convert.FromHexString("0201036c6e6402f801030a10deadbeefcafe"));
        const string Hex = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"; // a valid x-only public key too
        var examples = DocumentPaths().SelectMany(page => ConnectionString().Matches(File.ReadAllText(page)).Select(m => (Page: Path.GetRelativePath(Root, page), Text: m.Value))).ToList();
        Assert.Contains(examples, e => e.Text.StartsWith("type=s3;", StringComparison.Ordinal));
        Assert.True(examples.Select(e => e.Text.Split(';')[0]).Distinct().Count() >= 6, string.Join(", ", examples.Select(e => e.Text.Split(';')[0]).Distinct()));
        foreach (var (page, text) in examples)
        {
            var filled = Placeholder().Replace(text, Hex);
            filled = Regex.Replace(filled, "(certfilepath|macaroonfilepath)=[^;]+", m => $"{m.Groups[1].Value}={(m.Groups[1].Value == "certfilepath" ? certificate : macaroon)}");
            var error = Record.Exception(() =>
            {
                if (filled.StartsWith("type=s3;", StringComparison.Ordinal))
                {
                    Storage.S3.S3StorageSettings.Parse(filled);
                }
                else
                {
                    Assert.True(new ServiceCollection().AddLightningBackend(filled));
                }
            });
            Assert.True(error is null, $"{page}: {text}: {error?.Message}");
        }
    }

    [GeneratedRegex(@"type=[a-z0-9-]+;(?:<[^>\n]*>|[^\s'`""])+")]
    private static partial Regex ConnectionString();

    [GeneratedRegex("<[^>]+>|…")]
    private static partial Regex Placeholder();

    [GeneratedRegex("```json\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex MarkdownLink();

    [GeneratedRegex(@"`((?:src|tests|bench|Admin|Api|Jobs|Storage|Callbacks|Motion|Remote|Encoding|Models|L402|Lnd|Cln|Phoenixd|LNbits|Nwc|DevNode)/[\w./-]+\.cs)`")]
    private static partial Regex CodePath();
}
