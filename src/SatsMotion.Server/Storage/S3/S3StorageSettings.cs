using System.Data.Common;
using SatsMotion.Server.Configuration;

namespace SatsMotion.Server.Storage.S3;

/// <summary>
/// SatsMotion:Storage for an S3-compatible bucket:
/// <c>type=s3;endpoint=http://127.0.0.1:4568;bucket=satsmotion;accesskey=…;secretkey=…;region=us-east-1;pathstyle=true;presign=false</c>.
/// Without endpoint it is AWS itself; without keys, the SDK's own credential chain (environment, instance role).
/// </summary>
public sealed record S3StorageSettings(Uri? Endpoint, string Bucket, string? AccessKey, string? SecretKey, string Region, bool PathStyle, bool Presign)
{
    private static readonly string[] Known = ["type", "endpoint", "bucket", "accesskey", "secretkey", "region", "pathstyle", "presign"];

    /// <summary>How long a pre-signed video address works.</summary>
    public static readonly TimeSpan PresignLifetime = TimeSpan.FromHours(1);

    public static S3StorageSettings Parse(string value)
    {
        var parts = new DbConnectionStringBuilder();
        try
        {
            parts.ConnectionString = value;
        }
        catch (ArgumentException)
        {
            // The parser's message quotes the text, which may hold the secret key.
            throw new SettingsException("SatsMotion:Storage is not a list of key=value pairs separated by ';'");
        }

        string? Get(string key) => parts.TryGetValue(key, out var v) && v?.ToString() is { Length: > 0 } text ? text : null;
        if (parts.Keys.Cast<string>().FirstOrDefault(k => !Known.Contains(k, StringComparer.OrdinalIgnoreCase)) is { } unknown)
        {
            throw new SettingsException($"SatsMotion:Storage: unknown key '{unknown}' (known: {string.Join(", ", Known)})");
        }

        if (!string.Equals(Get("type"), "s3", StringComparison.OrdinalIgnoreCase))
        {
            throw new SettingsException("SatsMotion:Storage: type must be s3 (or leave the setting out for the data directory)");
        }

        Uri? endpoint = null;
        if (Get("endpoint") is { } text && (!Uri.TryCreate(text, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https")))
        {
            throw new SettingsException("SatsMotion:Storage: endpoint must be an http:// or https:// address");
        }

        var bucket = Get("bucket") ?? throw new SettingsException("SatsMotion:Storage: bucket is required");
        var (access, secret) = (Get("accesskey"), Get("secretkey"));
        if ((access is null) != (secret is null))
        {
            throw new SettingsException("SatsMotion:Storage: give both accesskey and secretkey, or neither (the SDK's credential chain)");
        }

        return new S3StorageSettings(endpoint, bucket, access, secret, Get("region") ?? "us-east-1", Flag(Get("pathstyle"), "pathstyle"), Flag(Get("presign"), "presign"));
    }

    // A record prints every member: never the keys, should the settings reach a log line.
    public override string ToString() =>
        $"S3StorageSettings {{ Endpoint = {Endpoint}, Bucket = {Bucket}, Region = {Region}, PathStyle = {PathStyle}, Presign = {Presign}, Keys = {(AccessKey is null ? "SDK chain" : "given")} }}";

    private static bool Flag(string? value, string key) => value switch
    {
        null => false,
        _ when bool.TryParse(value, out var flag) => flag,
        _ => throw new SettingsException($"SatsMotion:Storage: {key} must be true or false"),
    };
}
