namespace SatsMotion.Bench;

/// <summary>A program a benchmark runs that the machine may lack: the bench says what to install, in one line, instead of failing midway.</summary>
public sealed class MissingToolException(string bench, string tool)
    : Exception($"bench -- {bench} needs {tool}: run scripts/install-deps --bench (Debian), or install the package \"{tool}\"")
{
    public static void Require(string bench, string tool, string path) => Require(bench, tool, File.Exists(path));

    public static void Require(string bench, string tool, bool present)
    {
        if (!present)
        {
            throw new MissingToolException(bench, tool);
        }
    }
}
