namespace SatsMotion.Bench;

/// <summary>A program a benchmark runs that the machine may lack: the bench says what to install, in one line, instead of failing midway.</summary>
public sealed class MissingToolException(string bench, string tool)
    : Exception($"bench -- {bench} needs {tool}: run scripts/install-deps --bench (Debian), or install the package \"{tool}\"")
{
    public static void Require(string bench, string tool, string path)
    {
        if (!File.Exists(path))
        {
            throw new MissingToolException(bench, tool);
        }
    }
}
