using System.Runtime.InteropServices;
using System.Security.Cryptography;
using static SatsMotion.Lightning.Secp256k1Library;

namespace SatsMotion.Lightning;

/// <summary>A compact secp256k1 signature: r ‖ s (64 bytes) plus the recovery id that names the signer's key.</summary>
public sealed record RecoverableSignature(byte[] Compact, int RecoveryId);

/// <summary>
/// secp256k1 over libsecp256k1: RFC 6979 ECDSA with low S and a recovery id, verification, public-key recovery,
/// BIP-340 Schnorr and the x-only ECDH that Nostr uses. Keys and signatures are the usual byte encodings.
/// </summary>
public static unsafe class Secp256k1
{
    private const int InternalKeySize = 64;

    public static byte[] PublicKey(ReadOnlySpan<byte> privateKey)
    {
        var key = stackalloc byte[InternalKeySize];
        fixed (byte* secret = RequireSecretKey(privateKey))
        {
            Check(secp256k1_ec_pubkey_create(Context, key, secret), "public key");
        }

        return Serialize(key);
    }

    /// <summary>Deterministic (RFC 6979) signature with low S, and the id that recovers the signer from it.</summary>
    public static RecoverableSignature Sign(ReadOnlySpan<byte> hash32, ReadOnlySpan<byte> privateKey)
    {
        RequireLength(hash32, 32, "hash");
        var signature = stackalloc byte[65];
        var compact = new byte[64];
        int recoveryId;
        fixed (byte* message = hash32, secret = RequireSecretKey(privateKey), output = compact)
        {
            Check(secp256k1_ecdsa_sign_recoverable(Context, signature, message, secret, 0, 0), "signature");
            Check(secp256k1_ecdsa_recoverable_signature_serialize_compact(Context, output, &recoveryId, signature), "signature");
        }

        return new RecoverableSignature(compact, recoveryId);
    }

    /// <summary>Whether S is at most half the group order (false also when the signature is out of range).</summary>
    public static bool IsLowS(ReadOnlySpan<byte> compact) => TryParse(compact, out var signature) && secp256k1_ecdsa_signature_normalize(Context, null, signature.Bytes) == 0;

    /// <summary>ECDSA verification; like libsecp256k1 (and BOLT 11 with a payee field) it refuses high-S signatures.</summary>
    public static bool Verify(ReadOnlySpan<byte> hash32, ReadOnlySpan<byte> compact, ReadOnlySpan<byte> publicKey)
    {
        if (hash32.Length != 32 || !TryParse(compact, out var signature) || !TryParsePublicKey(publicKey, out var key))
        {
            return false;
        }

        fixed (byte* message = hash32)
        {
            return secp256k1_ecdsa_verify(Context, signature.Bytes, message, key.Bytes) == 1;
        }
    }

    /// <summary>Recovers the compressed public key that produced the signature, or null when none can.</summary>
    public static byte[]? Recover(ReadOnlySpan<byte> hash32, ReadOnlySpan<byte> compact, int recoveryId)
    {
        if (recoveryId is < 0 or > 3 || hash32.Length != 32 || !TryParse(compact, out var signature))
        {
            return null;
        }

        // BOLT 11 readers recover from high-S signatures as if normalized to low S (spec vector "high-S recovery").
        var low = stackalloc byte[64];
        var recoverable = stackalloc byte[65];
        var key = stackalloc byte[InternalKeySize];
        secp256k1_ecdsa_signature_normalize(Context, signature.Bytes, signature.Bytes);
        secp256k1_ecdsa_signature_serialize_compact(Context, low, signature.Bytes);
        fixed (byte* message = hash32)
        {
            if (secp256k1_ecdsa_recoverable_signature_parse_compact(Context, recoverable, low, recoveryId) != 1
                || secp256k1_ecdsa_recover(Context, key, recoverable, message) != 1)
            {
                return null;
            }
        }

        return Serialize(key);
    }

    /// <summary>The x-only (32-byte) public key of BIP-340, as Nostr uses it.</summary>
    public static byte[] XOnlyPublicKey(ReadOnlySpan<byte> privateKey) => PublicKey(privateKey)[1..];

    /// <summary>BIP-340 Schnorr signature of a 32-byte message; fresh auxiliary randomness unless given (test vectors).</summary>
    public static byte[] SchnorrSign(ReadOnlySpan<byte> message32, ReadOnlySpan<byte> privateKey, byte[]? auxiliary = null)
    {
        RequireLength(message32, 32, "message");
        var aux = auxiliary ?? RandomNumberGenerator.GetBytes(32);
        RequireLength(aux, 32, "auxiliary randomness");
        var keypair = stackalloc byte[96];
        var result = new byte[64];
        fixed (byte* message = message32, secret = RequireSecretKey(privateKey), randomness = aux, output = result)
        {
            Check(secp256k1_keypair_create(Context, keypair, secret), "key pair");
            Check(secp256k1_schnorrsig_sign32(Context, output, message, keypair, randomness), "Schnorr signature");
        }

        return result;
    }

    /// <summary>Verifies a BIP-340 signature of a 32-byte message by the x-only key <paramref name="xOnlyPublicKey"/>.</summary>
    public static bool SchnorrVerify(ReadOnlySpan<byte> signature64, ReadOnlySpan<byte> message32, ReadOnlySpan<byte> xOnlyPublicKey)
    {
        if (signature64.Length != 64 || message32.Length != 32 || xOnlyPublicKey.Length != 32)
        {
            return false;
        }

        var key = stackalloc byte[InternalKeySize];
        fixed (byte* signature = signature64, message = message32, input = xOnlyPublicKey)
        {
            return secp256k1_xonly_pubkey_parse(Context, key, input) == 1 && secp256k1_schnorrsig_verify(Context, signature, message, 32, key) == 1;
        }
    }

    /// <summary>The x coordinate of privateKey × (the point with x-only key <paramref name="xOnlyPublicKey"/> and even y): NIP-04's shared secret.</summary>
    public static byte[] SharedX(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> xOnlyPublicKey)
    {
        RequireLength(xOnlyPublicKey, 32, "x-only public key");
        if (!TryParsePublicKey([0x02, .. xOnlyPublicKey], out var point))
        {
            throw new ArgumentException("x-only public key is not on the curve");
        }

        var result = new byte[32];
        fixed (byte* secret = RequireSecretKey(privateKey), output = result)
        {
            Check(secp256k1_ecdh(Context, output, point.Bytes, secret, &CopyX, 0), "shared secret");
        }

        return result;
    }

    // ECDH's "hash" step: NIP-04 and NIP-44 take the bare x coordinate, not libsecp256k1's default SHA-256 of the point.
    [UnmanagedCallersOnly]
    private static int CopyX(byte* output, byte* x32, byte* y32, nint data)
    {
        new ReadOnlySpan<byte>(x32, 32).CopyTo(new Span<byte>(output, 32));
        return 1;
    }

    private static ReadOnlySpan<byte> RequireSecretKey(ReadOnlySpan<byte> privateKey)
    {
        RequireLength(privateKey, 32, "private key");
        fixed (byte* secret = privateKey)
        {
            return secp256k1_ec_seckey_verify(Context, secret) == 1 ? privateKey : throw new ArgumentException("private key is out of range");
        }
    }

    private static bool TryParse(ReadOnlySpan<byte> compact, out InternalSignature signature)
    {
        signature = default;
        if (compact.Length != 64)
        {
            return false;
        }

        fixed (byte* input = compact)
        fixed (byte* output = signature.Bytes)
        {
            return secp256k1_ecdsa_signature_parse_compact(Context, output, input) == 1;
        }
    }

    private static bool TryParsePublicKey(ReadOnlySpan<byte> encoded, out InternalPublicKey key)
    {
        key = default;
        if (encoded.IsEmpty)
        {
            return false;
        }

        fixed (byte* input = encoded)
        fixed (byte* output = key.Bytes)
        {
            return secp256k1_ec_pubkey_parse(Context, output, input, (nuint)encoded.Length) == 1;
        }
    }

    private static byte[] Serialize(byte* key)
    {
        var result = new byte[33];
        nuint length = 33;
        fixed (byte* output = result)
        {
            Check(secp256k1_ec_pubkey_serialize(Context, output, &length, key, CompressedKey), "public key");
        }

        return result;
    }

    private static void RequireLength(ReadOnlySpan<byte> value, int length, string what)
    {
        if (value.Length != length)
        {
            throw new ArgumentException($"{what} must be {length} bytes, not {value.Length}");
        }
    }

    private static void Check(int result, string what)
    {
        if (result != 1)
        {
            throw new CryptographicException($"libsecp256k1 could not compute the {what}");
        }
    }

    // libsecp256k1's opaque 64-byte structures, kept on the stack.
    [StructLayout(LayoutKind.Sequential)]
    private struct InternalSignature
    {
        public fixed byte Bytes[64];
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct InternalPublicKey
    {
        public fixed byte Bytes[64];
    }
}
