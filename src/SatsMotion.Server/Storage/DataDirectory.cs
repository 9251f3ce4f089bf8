using System.Security.Cryptography;

namespace SatsMotion.Server.Storage;

/// <summary>The data directory's layout, and the secrets created in it on first run (mode 0600).</summary>
public sealed class DataDirectory
{
    public DataDirectory(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Videos);
        Directory.CreateDirectory(Uploads);
        Directory.CreateDirectory(Work);
    }

    public string Root { get; }

    public string Database => Path.Combine(Root, "satsmotion.db");

    public string Videos => Path.Combine(Root, "videos");

    public string Uploads => Path.Combine(Root, "uploads");

    /// <summary>Scratch space of running jobs (inputs fetched from a bucket, outputs before they are stored).</summary>
    public string Work => Path.Combine(Root, "work");

    /// <summary>Reads a 32-byte secret from the named file, creating it (owner-only) when it does not exist.</summary>
    public byte[] LoadOrCreateSecret(string name)
    {
        var path = Path.Combine(Root, name);
        if (File.Exists(path))
        {
            var hex = File.ReadAllText(path).Trim();
            return hex.Length >= 64 ? Convert.FromHexString(hex) : throw new InvalidOperationException($"{path} must hold at least 32 bytes of hex");
        }

        var secret = RandomNumberGenerator.GetBytes(32);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(path, System.Text.Encoding.ASCII, options))
        {
            writer.Write(Convert.ToHexStringLower(secret));
        }

        return secret;
    }
}
