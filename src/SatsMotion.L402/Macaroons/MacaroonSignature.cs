using System.Security.Cryptography;
using System.Text;

namespace SatsMotion.L402.Macaroons;

/// <summary>
/// The macaroon HMAC-SHA256 chain: k = HMAC("macaroons-key-generator", rootKey),
/// sig = HMAC(k, id), then sig = HMAC(sig, caveat) for each first-party caveat.
/// </summary>
public static class MacaroonSignature
{
    private static readonly byte[] KeyGenerator = Encoding.ASCII.GetBytes("macaroons-key-generator");

    public static Macaroon Mint(ReadOnlySpan<byte> rootKey, byte[] identifier, string? location = null)
    {
        Span<byte> key = stackalloc byte[32];
        DeriveKey(rootKey, key);
        var signature = HMACSHA256.HashData(key, identifier);
        return new Macaroon(location, identifier, [], signature);
    }

    public static Macaroon AddFirstPartyCaveat(Macaroon macaroon, string condition)
    {
        var caveat = MacaroonCaveat.FirstParty(condition);
        var signature = HMACSHA256.HashData(macaroon.Signature, caveat.Identifier);
        return macaroon with { Caveats = [.. macaroon.Caveats, caveat], Signature = signature };
    }

    /// <summary>
    /// True when the signature chains from the root key. Third-party caveats are not
    /// supported and fail closed. Caveat predicates are checked separately.
    /// </summary>
    public static bool HasValidSignature(Macaroon macaroon, ReadOnlySpan<byte> rootKey)
    {
        if (macaroon.Signature.Length != Macaroon.SignatureLength)
        {
            return false;
        }

        Span<byte> signature = stackalloc byte[32];
        DeriveKey(rootKey, signature);
        HMACSHA256.HashData(signature, macaroon.Identifier, signature);
        foreach (var caveat in macaroon.Caveats)
        {
            if (!caveat.IsFirstParty)
            {
                return false;
            }

            HMACSHA256.HashData(signature, caveat.Identifier, signature);
        }

        return CryptographicOperations.FixedTimeEquals(signature, macaroon.Signature);
    }

    private static void DeriveKey(ReadOnlySpan<byte> rootKey, Span<byte> key) => HMACSHA256.HashData(KeyGenerator, rootKey, key);
}
