namespace SatsMotion.Testing;

/// <summary>Where the repository and the published vectors are, wherever the tests run from.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The published vectors live in shared/ beside the clone (SATSMOTION_VECTORS overrides).</summary>
    public static string Vectors
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("SATSMOTION_VECTORS") ?? Path.GetFullPath(Path.Combine(Root, "..", "shared", "vectors"));
            return Directory.Exists(path) ? path : throw new DirectoryNotFoundException($"test vectors not found at {path}; set SATSMOTION_VECTORS");
        }
    }

    public static string Interop => Path.Combine(Root, "tests", "interop");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SatsMotion.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("SatsMotion.slnx not found above " + AppContext.BaseDirectory);
    }
}
