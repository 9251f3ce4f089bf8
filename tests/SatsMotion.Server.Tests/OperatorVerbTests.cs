using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using SatsMotion.Testing;

namespace SatsMotion.Server.Tests;

/// <summary>
/// The server's operator verbs, run as the README runs them (the built server as its own process): a verb is the
/// first argument that is not a setting, so a verb's own argument is never read as another verb.
/// </summary>
public sealed partial class OperatorVerbTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("operator-verbs-").FullName;

    // The presets issue 20 names, with the durations each offers and where its schema source is named (written by
    // hand from the issue and the README's table, not read from the presets file).
    private static readonly (string Name, int[] Durations, string Source)[] IssuePresets =
    [
        ("replicate/wan-video/wan-2.2-i2v-fast", [5, 6, 7], "replicate.com/wan-video/wan-2.2-i2v-fast"),
        ("replicate/kwaivgi/kling-v2.1", [5, 10], "replicate.com/kwaivgi/kling-v2.1"),
        ("replicate/minimax/hailuo-02", [6, 10], "replicate.com/minimax/hailuo-02"),
        ("replicate/bytedance/seedance-1-lite", [5, 10], "replicate.com/bytedance/seedance-1-lite"),
        ("fal/fal-ai/kling-video/v2.1/standard/image-to-video", [5, 10], "fal-ai/kling-video/v2.1/standard/image-to-video"),
        ("fal/fal-ai/wan/v2.2-a14b/image-to-video", [3, 5, 8, 10], "fal.ai/api/openapi/queue/openapi.json"),
        ("fal/fal-ai/minimax/hailuo-02/standard/image-to-video", [6, 10], "fal-ai/minimax/hailuo-02/standard/image-to-video"),
        ("comfyui/wan2.2-i2v", [3, 4, 5], "Comfy-Org/ComfyUI a125cd84"),
        ("comfyui/ltxv-i2v", [3, 5, 8, 10], "Comfy-Org/ComfyUI a125cd84"),
    ];

    private Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] args) =>
        ServerProcess.RunToEndAsync(new ProcessStartInfo("dotnet", [typeof(Program).Assembly.Location, .. args]) { WorkingDirectory = _directory }, TimeSpan.FromSeconds(60));

    // The verb's listing: each preset's name line, its "durations … s at" line and its "schema:" line.
    private static Dictionary<string, (int[] Durations, string Schema)> Listing(string output)
    {
        var listed = new Dictionary<string, (int[] Durations, string Schema)>();
        string? name = null;
        int[] durations = [];
        foreach (var line in output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0))
        {
            if (!line.StartsWith(' '))
            {
                name = line;
            }
            else if (DurationsPattern().Match(line) is { Success: true } match)
            {
                durations = [.. match.Groups[1].Value.Split(", ").Select(int.Parse)];
            }
            else if (line.StartsWith("  schema: ", StringComparison.Ordinal))
            {
                listed.Add(name!, (durations, line["  schema: ".Length..]));
            }
        }

        return listed;
    }

    [Theory]
    [InlineData("presets")]
    [InlineData("--data", "./data", "presets")]
    [InlineData("--urls=http://127.0.0.1:1", "presets")]
    public async Task The_presets_verb_lists_exactly_the_issues_presets_with_their_durations_and_schema_sources(params string[] args)
    {
        var (exit, stdout, stderr) = await RunAsync(args);
        Assert.True(exit == 0, stderr);
        var listed = Listing(stdout);
        Assert.Equal(IssuePresets.Select(p => p.Name), listed.Keys);
        foreach (var (name, durations, source) in IssuePresets)
        {
            Assert.Equal(durations, listed[name].Durations);
            Assert.Contains(source, listed[name].Schema, StringComparison.Ordinal);

            // A source is pinned: the date it was read or the commit it was read at.
            Assert.Matches(@"\d{4}-\d{2}-\d{2}|\b[0-9a-f]{8}\b", listed[name].Schema);
        }
    }

    [Fact]
    public async Task Revoke_token_with_the_reason_presets_revokes_the_token()
    {
        var tokenId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var data = Path.Combine(_directory, "data");
        var (exit, stdout, stderr) = await RunAsync("--data", data, "revoke-token", tokenId, "presets");
        Assert.True(exit == 0, stderr);
        Assert.Equal($"token {tokenId} revoked", stdout.Trim());

        using var connection = new SqliteConnection($"Data Source={Path.Combine(data, "satsmotion.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT reason FROM revoked_tokens WHERE token_id = $id";
        command.Parameters.AddWithValue("$id", tokenId);
        Assert.Equal("presets", command.ExecuteScalar());
    }

    [Fact]
    public async Task An_unknown_verb_is_refused_rather_than_starting_a_server()
    {
        var (exit, _, stderr) = await RunAsync("--data", Path.Combine(_directory, "data"), "revoke-tokn", new string('a', 64));
        Assert.Equal(2, exit);
        Assert.Contains("unknown verb 'revoke-tokn'", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "presets" }, "presets", new string[0])]
    [InlineData(new[] { "--data", "presets", "revoke-token", "x", "presets" }, "revoke-token", new[] { "x", "presets" })]
    [InlineData(new[] { "--data=d", "/urls", "presets", "-v", "revoke-token", "x" }, "revoke-token", new[] { "x" })]
    [InlineData(new[] { "--data", "d" }, null, new string[0])]
    public void A_verb_is_the_first_argument_that_is_no_setting(string[] args, string? verb, string[] arguments)
    {
        var parsed = OperatorVerb.Parse(args);
        Assert.Equal(verb, parsed?.Name);
        Assert.Equal(arguments, parsed?.Arguments ?? []);
    }

    public void Dispose() => Directory.Delete(_directory, true);

    [GeneratedRegex(@"; durations ([\d, ]+) s at ")]
    private static partial Regex DurationsPattern();
}
