using System.Text.Json.Nodes;
using SatsMotion.Client.Commands;

namespace SatsMotion.Client.Tests;

/// <summary>Runs the satsmotion command in process with its own config directory and environment.</summary>
public sealed class ClientRun(string configDirectory, Dictionary<string, string>? environment = null)
{
    public string ConfigDirectory { get; } = configDirectory;

    public async Task<(int Exit, string Out, string Err)> RunAsync(string input, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var env = new Dictionary<string, string>(environment ?? []) { ["SATSMOTION_CONFIG_DIR"] = ConfigDirectory };
        var exit = await new Cli(output, error, name => env.GetValueOrDefault(name), new StringReader(input)).RunAsync(args);
        return (exit, output.ToString(), error.ToString());
    }

    public static JsonNode Json(string text) => JsonNode.Parse(text.Trim().Split('\n')[^1])!;
}
