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
        var signature = FastHmacSha256.Compute(key, identifier);
        return new Macaroon(location, identifier, [], signature);
    }

    public static Macaroon AddFirstPartyCaveat(Macaroon macaroon, string condition)
    {
        var caveat = MacaroonCaveat.FirstParty(condition);
        var signature = FastHmacSha256.Compute(macaroon.Signature, caveat.Identifier);
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
        FastHmacSha256.Compute(signature, macaroon.Identifier, signature);
        foreach (var caveat in macaroon.Caveats)
        {
            if (!caveat.IsFirstParty)
            {
                return false;
            }

            FastHmacSha256.Compute(signature, caveat.Identifier, signature);
        }

        return CryptographicOperations.FixedTimeEquals(signature, macaroon.Signature);
    }

    private static void DeriveKey(ReadOnlySpan<byte> rootKey, Span<byte> key) => FastHmacSha256.Compute(KeyGenerator, rootKey, key);
}
