using System.Security.Cryptography;

namespace SatsMotion.L402.Macaroons;

/// <summary>
/// HMAC-SHA256 as RFC 2104 defines it, H((K⊕opad) ‖ H((K⊕ipad) ‖ m)), over two SHA-256 one-shots.
/// Why: on Linux the framework's one-shot HMAC goes through OpenSSL 3's HMAC(), which pays a per-call
/// algorithm fetch; for the short inputs of a macaroon chain this construction is about 25% cheaper,
/// and verification runs it six times per request. Long inputs use the framework's HMAC.
/// </summary>
internal static class FastHmacSha256
{
    private const int BlockSize = 64;
    private const int MaxInlineData = 512;

    public static void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (key.Length > BlockSize || data.Length > MaxInlineData)
        {
            HMACSHA256.HashData(key, data, destination);
            return;
        }

        Span<byte> inner = stackalloc byte[BlockSize + data.Length];
        Span<byte> outer = stackalloc byte[BlockSize + 32];
        for (var i = 0; i < BlockSize; i++)
        {
            var k = i < key.Length ? key[i] : (byte)0;
            inner[i] = (byte)(k ^ 0x36);
            outer[i] = (byte)(k ^ 0x5c);
        }

        data.CopyTo(inner[BlockSize..]);
        SHA256.HashData(inner, outer[BlockSize..]);
        SHA256.HashData(outer, destination);
    }

    public static byte[] Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data)
    {
        var result = new byte[32];
        Compute(key, data, result);
        return result;
    }
}
