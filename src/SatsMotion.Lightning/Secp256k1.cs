using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.EC;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Math.EC;
using Org.BouncyCastle.Math.EC.Multiplier;

namespace SatsMotion.Lightning;

/// <summary>A compact secp256k1 signature: r ‖ s (64 bytes) plus the recovery id that names the signer's key.</summary>
public sealed record RecoverableSignature(byte[] Compact, int RecoveryId);

/// <summary>secp256k1 ECDSA over BouncyCastle: RFC 6979 signing with low-S, verification and public-key recovery.</summary>
public static class Secp256k1
{
    private static readonly X9ECParameters Curve = CustomNamedCurves.GetByName("secp256k1");
    private static readonly ECDomainParameters Domain = new(Curve.Curve, Curve.G, Curve.N, Curve.H);
    private static readonly BigInteger HalfOrder = Curve.N.ShiftRight(1);
    private static readonly FixedPointCombMultiplier BaseMultiplier = new();

    public static byte[] PublicKey(ReadOnlySpan<byte> privateKey)
    {
        var d = new BigInteger(1, privateKey.ToArray());
        if (d.SignValue <= 0 || d.CompareTo(Curve.N) >= 0)
        {
            throw new ArgumentException("private key is out of range");
        }

        return BaseMultiplier.Multiply(Curve.G, d).Normalize().GetEncoded(true);
    }

    /// <summary>Deterministic (RFC 6979) signature with low S; the recovery id comes from R directly.</summary>
    public static RecoverableSignature Sign(ReadOnlySpan<byte> hash32, ReadOnlySpan<byte> privateKey)
    {
        var n = Curve.N;
        var d = new BigInteger(1, privateKey.ToArray());
        var e = new BigInteger(1, hash32.ToArray());
        var k = new HMacDsaKCalculator(new Sha256Digest());
        k.Init(n, d, hash32.ToArray());
        while (true)
        {
            var nonce = k.NextK();
            var point = BaseMultiplier.Multiply(Curve.G, nonce).Normalize();
            var x = point.AffineXCoord.ToBigInteger();
            var r = x.Mod(n);
            if (r.SignValue == 0)
            {
                continue;
            }

            var s = nonce.ModInverse(n).Multiply(e.Add(d.Multiply(r))).Mod(n);
            if (s.SignValue == 0)
            {
                continue;
            }

            var recoveryId = (point.AffineYCoord.TestBitZero() ? 1 : 0) | (x.CompareTo(n) >= 0 ? 2 : 0);
            if (s.CompareTo(HalfOrder) > 0)
            {
                s = n.Subtract(s);
                recoveryId ^= 1;
            }

            return new RecoverableSignature([.. Bytes32(r), .. Bytes32(s)], recoveryId);
        }
    }

    public static bool IsLowS(ReadOnlySpan<byte> compact) => new BigInteger(1, compact[32..].ToArray()).CompareTo(HalfOrder) <= 0;

    public static bool Verify(ReadOnlySpan<byte> hash32, ReadOnlySpan<byte> compact, ReadOnlySpan<byte> publicKey)
    {
        ECPoint q;
        try
        {
            q = Curve.Curve.DecodePoint(publicKey.ToArray());
        }
        catch (ArgumentException)
        {
            return false;
        }

        var signer = new ECDsaSigner();
        signer.Init(false, new ECPublicKeyParameters(q, Domain));
        return signer.VerifySignature(hash32.ToArray(), new BigInteger(1, compact[..32].ToArray()), new BigInteger(1, compact[32..].ToArray()));
    }

    /// <summary>Recovers the compressed public key that produced the signature, or null when none can.</summary>
    public static byte[]? Recover(ReadOnlySpan<byte> hash32, ReadOnlySpan<byte> compact, int recoveryId)
    {
        if (recoveryId is < 0 or > 3 || compact.Length != 64)
        {
            return null;
        }

        var n = Curve.N;
        var r = new BigInteger(1, compact[..32].ToArray());
        var s = new BigInteger(1, compact[32..].ToArray());
        if (r.SignValue == 0 || s.SignValue == 0 || r.CompareTo(n) >= 0 || s.CompareTo(n) >= 0)
        {
            return null;
        }

        // BOLT 11 readers recover from high-S signatures as if normalized to low S (spec vector "high-S recovery").
        if (s.CompareTo(HalfOrder) > 0)
        {
            s = n.Subtract(s);
        }

        var x = recoveryId >= 2 ? r.Add(n) : r;
        if (x.CompareTo(Curve.Curve.Field.Characteristic) >= 0)
        {
            return null;
        }

        ECPoint point;
        try
        {
            point = Curve.Curve.DecodePoint([(byte)((recoveryId & 1) == 1 ? 0x03 : 0x02), .. Bytes32(x)]);
        }
        catch (ArgumentException)
        {
            return null;
        }

        var e = new BigInteger(1, hash32.ToArray());
        var rInverse = r.ModInverse(n);
        var q = ECAlgorithms.SumOfTwoMultiplies(Curve.G, e.Negate().Mod(n).Multiply(rInverse).Mod(n), point, s.Multiply(rInverse).Mod(n)).Normalize();
        return q.IsInfinity ? null : q.GetEncoded(true);
    }

    /// <summary>The x-only (32-byte) public key of BIP-340, as Nostr uses it.</summary>
    public static byte[] XOnlyPublicKey(ReadOnlySpan<byte> privateKey) => PublicKey(privateKey)[1..];

    /// <summary>BIP-340 Schnorr signature of a 32-byte message; fresh auxiliary randomness unless given (test vectors).</summary>
    public static byte[] SchnorrSign(ReadOnlySpan<byte> message32, ReadOnlySpan<byte> privateKey, byte[]? auxiliary = null)
    {
        var n = Curve.N;
        var secret = new BigInteger(1, privateKey.ToArray());
        var point = BaseMultiplier.Multiply(Curve.G, secret).Normalize();
        var d = point.AffineYCoord.TestBitZero() ? n.Subtract(secret) : secret;
        var px = Bytes32(point.AffineXCoord.ToBigInteger());
        var aux = auxiliary ?? System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var t = Bytes32(d);
        var auxHash = TaggedHash("BIP0340/aux", aux);
        for (var i = 0; i < 32; i++)
        {
            t[i] ^= auxHash[i];
        }

        var k0 = new BigInteger(1, TaggedHash("BIP0340/nonce", [.. t, .. px, .. message32])).Mod(n);
        if (k0.SignValue == 0)
        {
            throw new InvalidOperationException("BIP-340 nonce is zero");
        }

        var r = BaseMultiplier.Multiply(Curve.G, k0).Normalize();
        var k = r.AffineYCoord.TestBitZero() ? n.Subtract(k0) : k0;
        var rx = Bytes32(r.AffineXCoord.ToBigInteger());
        var e = new BigInteger(1, TaggedHash("BIP0340/challenge", [.. rx, .. px, .. message32])).Mod(n);
        return [.. rx, .. Bytes32(k.Add(e.Multiply(d)).Mod(n))];
    }

    /// <summary>The x coordinate of privateKey × (the point with x-only key <paramref name="xOnlyPublicKey"/> and even y): NIP-04's shared secret.</summary>
    public static byte[] SharedX(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> xOnlyPublicKey)
    {
        var point = Curve.Curve.DecodePoint([0x02, .. xOnlyPublicKey]);
        var shared = point.Multiply(new BigInteger(1, privateKey.ToArray())).Normalize();
        return Bytes32(shared.AffineXCoord.ToBigInteger());
    }

    private static byte[] TaggedHash(string tag, ReadOnlySpan<byte> data)
    {
        var tagHash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(tag));
        return System.Security.Cryptography.SHA256.HashData([.. tagHash, .. tagHash, .. data]);
    }

    private static byte[] Bytes32(BigInteger value)
    {
        var raw = value.ToByteArrayUnsigned();
        var result = new byte[32];
        raw.CopyTo(result, 32 - raw.Length);
        return result;
    }
}
