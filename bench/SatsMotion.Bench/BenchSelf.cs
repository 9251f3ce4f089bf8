namespace SatsMotion.Bench;

/// <summary>How to start this benchmark program again as a child process, for suites that measure one.</summary>
public static class BenchSelf
{
    // Through the dotnet host when it runs the dll, else through its app host.
    public static (string Tool, string[] Arguments) Command { get; } = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet"
        ? (Environment.ProcessPath!, [typeof(BenchSelf).Assembly.Location])
        : (Environment.ProcessPath!, []);
}
