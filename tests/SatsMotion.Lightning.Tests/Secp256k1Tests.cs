using System.Numerics;
using System.Security.Cryptography;

namespace SatsMotion.Lightning.Tests;

/// <summary>The edges of the libsecp256k1 binding: key range, high S, malformed input.</summary>
public class Secp256k1Tests
{
    private static readonly BigInteger Order = BigInteger.Parse("0FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", System.Globalization.NumberStyles.HexNumber);

    [Theory]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141")]
    [InlineData("00")]
    public void Refuses_private_keys_outside_the_group(string hex)
    {
        Assert.Throws<ArgumentException>(() => Secp256k1.PublicKey(Convert.FromHexString(hex)));
        Assert.Throws<ArgumentException>(() => Secp256k1.Sign(new byte[32], Convert.FromHexString(hex)));
    }

    [Fact]
    public void The_generator_is_the_public_key_of_one()
    {
        var one = new byte[32];
        one[31] = 1;
        Assert.Equal("0279BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798", Convert.ToHexString(Secp256k1.PublicKey(one)));
    }

    [Fact]
    public void A_high_s_twin_is_not_low_s_fails_verification_and_still_recovers_the_signer()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var hash = RandomNumberGenerator.GetBytes(32);
        var signature = Secp256k1.Sign(hash, key);
        var s = new BigInteger(signature.Compact.AsSpan(32), isUnsigned: true, isBigEndian: true);
        byte[] high = [.. signature.Compact[..32], .. (Order - s).ToByteArray(isUnsigned: true, isBigEndian: true)];

        Assert.False(Secp256k1.IsLowS(high));
        Assert.False(Secp256k1.Verify(hash, high, Secp256k1.PublicKey(key)));
        Assert.Equal(Secp256k1.PublicKey(key), Secp256k1.Recover(hash, high, signature.RecoveryId));
    }

    [Fact]
    public void Malformed_signatures_and_keys_are_refused_not_thrown()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var hash = RandomNumberGenerator.GetBytes(32);
        var signature = Secp256k1.Sign(hash, key);
        byte[] outOfRange = [.. Enumerable.Repeat((byte)0xFF, 64)];

        Assert.False(Secp256k1.Verify(hash, signature.Compact[..63], Secp256k1.PublicKey(key)));
        Assert.False(Secp256k1.Verify(hash, outOfRange, Secp256k1.PublicKey(key)));
        Assert.False(Secp256k1.Verify(hash, signature.Compact, [0x05, .. new byte[32]]));
        Assert.False(Secp256k1.IsLowS(outOfRange));
        Assert.Null(Secp256k1.Recover(hash, signature.Compact, 4));
        Assert.Null(Secp256k1.Recover(hash, outOfRange, 0));
        Assert.Throws<ArgumentException>(() => Secp256k1.SharedX(key, Enumerable.Repeat((byte)0xFF, 32).ToArray()));
    }
}
