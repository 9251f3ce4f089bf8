using System.Reflection;

namespace SatsMotion.Server;

/// <summary>The server's version as built (Version in Directory.Build.props, and the commit when built from a checkout).</summary>
public static class ServerVersion
{
    public static string Text { get; } =
        typeof(ServerVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
