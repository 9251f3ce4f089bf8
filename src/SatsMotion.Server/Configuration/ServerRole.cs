namespace SatsMotion.Server.Configuration;

/// <summary>
/// What this process does (--role, SATSMOTION_ROLE): the API alone, the workers alone (GPU machines), or both.
/// Several API servers and workers share one PostgreSQL database and one bucket.
/// </summary>
public enum ServerRole
{
    All,
    Api,
    Worker,
}

public static class ServerRoles
{
    /// <summary>--role on the command line, else SATSMOTION_ROLE, else all.</summary>
    public static ServerRole Read(IConfiguration configuration)
    {
        var text = configuration["role"] ?? configuration[$"{SatsMotionOptions.Section}:Role"] ?? Environment.GetEnvironmentVariable("SATSMOTION_ROLE") ?? "all";
        return Enum.TryParse<ServerRole>(text, ignoreCase: true, out var role) && Enum.IsDefined(role) && !int.TryParse(text, out _)
            ? role
            : throw new SettingsException($"--role must be api, worker or all, not '{text}'");
    }
}
