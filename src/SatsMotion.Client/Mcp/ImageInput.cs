using SatsMotion.L402;

namespace SatsMotion.Client.Mcp;

/// <summary>An image argument: a file path, or the image itself in base64 (with or without a data: prefix).</summary>
public static class ImageInput
{
    public static byte[] Read(string value)
    {
        if (File.Exists(value))
        {
            return File.ReadAllBytes(value);
        }

        var payload = value.Trim();
        var comma = payload.StartsWith("data:", StringComparison.OrdinalIgnoreCase) ? payload.IndexOf(',') : -1;
        return LenientBase64.TryDecode(comma < 0 ? payload : payload[(comma + 1)..], out var bytes) && bytes.Length > 0
            ? bytes
            : throw new ClientException(ClientExit.BadInput, "image must be the path of a file or base64");
    }
}
