using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace SatsMotion.L402;

/// <summary>
/// The canonical request hash a token is bound to: SHA-256 over the resolved model, the duration, the
/// prompt and the SHA-256 of the decoded image, and the callback when there is one (a request without one hashes
/// as it always did). JSON layout, key order, a data-URI prefix or an omitted default cannot change it; any change
/// to what would be rendered, or to where its result is sent, does.
/// </summary>
public static class RequestFingerprint
{
    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("satsmotion/animate-image/v1");

    public static byte[] Compute(string modelSlug, int durationSeconds, string prompt, ReadOnlySpan<byte> imageBytes, string? callbackUrl = null, string? callbackId = null)
    {
        Span<byte> imageHash = stackalloc byte[32];
        SHA256.HashData(imageBytes, imageHash);
        return ComputeFromImageHash(modelSlug, durationSeconds, prompt, imageHash, callbackUrl, callbackId);
    }

    public static byte[] ComputeFromImageHash(string modelSlug, int durationSeconds, string prompt, ReadOnlySpan<byte> imageSha256, string? callbackUrl = null, string? callbackId = null)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendField(hash, Domain);
        AppendField(hash, Encoding.UTF8.GetBytes(modelSlug));
        Span<byte> duration = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(duration, durationSeconds);
        AppendField(hash, duration);
        AppendField(hash, Encoding.UTF8.GetBytes(prompt));
        AppendField(hash, imageSha256);
        if (callbackUrl is not null)
        {
            AppendField(hash, "callback"u8);
            AppendField(hash, Encoding.UTF8.GetBytes(callbackUrl));
            AppendField(hash, Encoding.UTF8.GetBytes(callbackId ?? ""));
        }

        return hash.GetHashAndReset();
    }

    // Length-prefixing keeps field boundaries unambiguous ("ab"+"c" differs from "a"+"bc").
    private static void AppendField(IncrementalHash hash, ReadOnlySpan<byte> field)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, field.Length);
        hash.AppendData(length);
        hash.AppendData(field);
    }
}
