using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;

namespace SatsMotion.Lightning.Nwc;

/// <summary>
/// NIP-44 version 2: conversation key = HKDF-extract(salt "nip44-v2", ECDH x); per message, HKDF-expand(nonce) gives
/// a ChaCha20 key and nonce and an HMAC key; the plaintext is length-prefixed and padded; MAC over nonce ‖ ciphertext.
/// </summary>
public static class Nip44
{
    private const byte Version = 2;
    private static readonly byte[] Salt = Encoding.UTF8.GetBytes("nip44-v2");

    public static byte[] ConversationKey(byte[] secretKey, byte[] peerXOnly) => HKDF.Extract(HashAlgorithmName.SHA256, Secp256k1.SharedX(secretKey, peerXOnly), Salt);

    public static string Encrypt(byte[] conversationKey, string plaintext, byte[]? nonce = null)
    {
        nonce ??= RandomNumberGenerator.GetBytes(32);
        var (chachaKey, chachaNonce, hmacKey) = MessageKeys(conversationKey, nonce);
        var cipher = ChaCha20(chachaKey, chachaNonce, Pad(Encoding.UTF8.GetBytes(plaintext)));
        var mac = HMACSHA256.HashData(hmacKey, (byte[])[.. nonce, .. cipher]);
        return Convert.ToBase64String([Version, .. nonce, .. cipher, .. mac]);
    }

    public static string Decrypt(byte[] conversationKey, string payload)
    {
        byte[] data;
        try
        {
            data = Convert.FromBase64String(payload);
        }
        catch (FormatException)
        {
            throw new NwcException(NwcProblem.Malformed, "NIP-44 payload is not base64");
        }

        if (data.Length < 99 || data[0] != Version)
        {
            throw new NwcException(NwcProblem.Malformed, "NIP-44 payload has an unknown version or is too short");
        }

        var nonce = data[1..33];
        var cipher = data[33..^32];
        var (chachaKey, chachaNonce, hmacKey) = MessageKeys(conversationKey, nonce);
        if (!CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(hmacKey, (byte[])[.. nonce, .. cipher]), data[^32..]))
        {
            throw new NwcException(NwcProblem.Malformed, "NIP-44 message authentication failed");
        }

        var padded = ChaCha20(chachaKey, chachaNonce, cipher);
        var length = BinaryPrimitives.ReadUInt16BigEndian(padded);
        if (length == 0 || padded.Length != 2 + PaddedLength(length))
        {
            throw new NwcException(NwcProblem.Malformed, "NIP-44 padding is invalid");
        }

        return Encoding.UTF8.GetString(padded, 2, length);
    }

    /// <summary>Padded size for a plaintext of <paramref name="length"/> bytes: 32 minimum, then chunks growing with size.</summary>
    public static int PaddedLength(int length)
    {
        if (length <= 32)
        {
            return 32;
        }

        var nextPower = 1 << (int)(Math.Floor(Math.Log2(length - 1)) + 1);
        var chunk = nextPower <= 256 ? 32 : nextPower / 8;
        return chunk * ((length - 1) / chunk + 1);
    }

    private static byte[] Pad(byte[] plaintext)
    {
        if (plaintext.Length is < 1 or > 65535)
        {
            throw new NwcException(NwcProblem.Malformed, "NIP-44 plaintext must be 1 to 65535 bytes");
        }

        var padded = new byte[2 + PaddedLength(plaintext.Length)];
        BinaryPrimitives.WriteUInt16BigEndian(padded, (ushort)plaintext.Length);
        plaintext.CopyTo(padded, 2);
        return padded;
    }

    private static (byte[] Key, byte[] Nonce, byte[] HmacKey) MessageKeys(byte[] conversationKey, byte[] nonce)
    {
        var keys = HKDF.Expand(HashAlgorithmName.SHA256, conversationKey, 76, nonce);
        return (keys[..32], keys[32..44], keys[44..]);
    }

    private static byte[] ChaCha20(byte[] key, byte[] nonce, byte[] input)
    {
        var engine = new ChaCha7539Engine();
        engine.Init(true, new ParametersWithIV(new KeyParameter(key), nonce));
        var output = new byte[input.Length];
        engine.ProcessBytes(input, 0, input.Length, output, 0);
        return output;
    }
}
