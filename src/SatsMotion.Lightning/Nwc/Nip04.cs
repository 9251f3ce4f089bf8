using System.Security.Cryptography;
using System.Text;

namespace SatsMotion.Lightning.Nwc;

/// <summary>NIP-04 encryption: AES-256-CBC keyed by the x coordinate of the ECDH point, "base64?iv=base64".</summary>
public static class Nip04
{
    public static string Encrypt(byte[] secretKey, byte[] peerXOnly, string plaintext)
    {
        using var aes = Aes.Create();
        aes.Key = Secp256k1.SharedX(secretKey, peerXOnly);
        var iv = RandomNumberGenerator.GetBytes(16);
        var cipher = aes.EncryptCbc(Encoding.UTF8.GetBytes(plaintext), iv);
        return $"{Convert.ToBase64String(cipher)}?iv={Convert.ToBase64String(iv)}";
    }

    public static string Decrypt(byte[] secretKey, byte[] peerXOnly, string payload)
    {
        var parts = payload.Split("?iv=");
        if (parts.Length != 2)
        {
            throw new NwcException(NwcProblem.Malformed, "the wallet's reply is not NIP-04 encrypted");
        }

        using var aes = Aes.Create();
        aes.Key = Secp256k1.SharedX(secretKey, peerXOnly);
        return Encoding.UTF8.GetString(aes.DecryptCbc(Convert.FromBase64String(parts[0]), Convert.FromBase64String(parts[1])));
    }
}
