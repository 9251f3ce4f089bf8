using System.Security.Cryptography;
using System.Text;
using SatsMotion.Server.Configuration;
using SatsMotion.Server.Storage;

namespace SatsMotion.Server.Admin;

/// <summary>
/// The operator's key to the console: the text of SatsMotion:AdminKeyFile, else admin.key in the data directory,
/// created (random, owner-only) at first start. Only its hash is kept; a presented key is compared by hash in
/// constant time, so neither its length nor its first wrong character shows in the time taken.
/// </summary>
public sealed class AdminKey
{
    public const int MinimumLength = 20;

    private readonly byte[] _hash;
    private readonly byte[] _macKey;

    private AdminKey(string text, string path)
    {
        _hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        // Session CSRF tokens are MACs under a key only this server's admin key yields.
        _macKey = HMACSHA256.HashData(Encoding.UTF8.GetBytes("satsmotion admin csrf"), Encoding.UTF8.GetBytes(text));
        Path = path;
    }

    /// <summary>Where the key is read from, for the banner (never the key itself).</summary>
    public string Path { get; }

    public static AdminKey Load(SatsMotionOptions options, DataDirectory data)
    {
        if (string.IsNullOrWhiteSpace(options.AdminKeyFile))
        {
            data.LoadOrCreateSecret("admin.key");
            var created = System.IO.Path.Combine(data.Root, "admin.key");
            return new AdminKey(File.ReadAllText(created).Trim(), created);
        }

        var path = System.IO.Path.GetFullPath(options.AdminKeyFile);
        string text;
        try
        {
            text = File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SettingsException($"SatsMotion:AdminKeyFile: {path} cannot be read ({e.Message})");
        }

        return text.Length >= MinimumLength ? new AdminKey(text, path)
            : throw new SettingsException($"SatsMotion:AdminKeyFile: {path} must hold a key of at least {MinimumLength} characters");
    }

    public bool Matches(string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented.Trim())), _hash);

    /// <summary>The anti-forgery token of a session: its forms carry it, a cross-site page cannot know it.</summary>
    public string CsrfToken(string session) => Convert.ToHexStringLower(HMACSHA256.HashData(_macKey, Encoding.UTF8.GetBytes(session)));
}
