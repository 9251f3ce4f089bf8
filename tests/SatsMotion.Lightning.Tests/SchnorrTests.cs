namespace SatsMotion.Lightning.Tests;

/// <summary>BIP-340 signing (used for Nostr Wallet Connect) against the BIP's own test vectors.</summary>
public class SchnorrTests
{
    [Theory]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000003", "F9308A019258C31049344F85F89D5229B531C845836F99B08601F113BCE036F9",
        "0000000000000000000000000000000000000000000000000000000000000000", "0000000000000000000000000000000000000000000000000000000000000000",
        "E907831F80848D1069A5371B402410364BDF1C5F8307B0084C55F1CE2DCA821525F66A4A85EA8B71E482A74F382D2CE5EBEEE8FDB2172F477DF4900D310536C0")]
    [InlineData("B7E151628AED2A6ABF7158809CF4F3C762E7160F38B4DA56A784D9045190CFEF", "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659",
        "0000000000000000000000000000000000000000000000000000000000000001", "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
        "6896BD60EEAE296DB48A229FF71DFE071BDE413E6D43F917DC8DCF8C78DE33418906D11AC976ABCCB20B091292BFF4EA897EFCB639EA871CFA95F6DE339E4B0A")]
    public void Signs_the_bip340_vectors(string secret, string publicKey, string aux, string message, string signature)
    {
        Assert.Equal(publicKey, Convert.ToHexString(Secp256k1.XOnlyPublicKey(Convert.FromHexString(secret))));
        Assert.Equal(signature, Convert.ToHexString(Secp256k1.SchnorrSign(Convert.FromHexString(message), Convert.FromHexString(secret), Convert.FromHexString(aux))));
    }

    [Theory]
    [InlineData("F9308A019258C31049344F85F89D5229B531C845836F99B08601F113BCE036F9", "0000000000000000000000000000000000000000000000000000000000000000",
        "E907831F80848D1069A5371B402410364BDF1C5F8307B0084C55F1CE2DCA821525F66A4A85EA8B71E482A74F382D2CE5EBEEE8FDB2172F477DF4900D310536C0")]
    [InlineData("DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659", "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
        "6896BD60EEAE296DB48A229FF71DFE071BDE413E6D43F917DC8DCF8C78DE33418906D11AC976ABCCB20B091292BFF4EA897EFCB639EA871CFA95F6DE339E4B0A")]
    public void Verifies_the_bip340_vectors_and_nothing_altered(string publicKey, string message, string signature)
    {
        var key = Convert.FromHexString(publicKey);
        var hash = Convert.FromHexString(message);
        var sig = Convert.FromHexString(signature);
        Assert.True(Secp256k1.SchnorrVerify(sig, hash, key));

        var altered = sig.ToArray();
        altered[63] ^= 1;
        Assert.False(Secp256k1.SchnorrVerify(altered, hash, key));
        Assert.False(Secp256k1.SchnorrVerify(sig, System.Security.Cryptography.SHA256.HashData(hash), key));
        Assert.False(Secp256k1.SchnorrVerify(sig, hash, Secp256k1.XOnlyPublicKey(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))));
        Assert.False(Secp256k1.SchnorrVerify(sig[..63], hash, key));
    }

    [Fact]
    public void Ecdh_is_symmetric()
    {
        var a = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var b = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        Assert.Equal(Secp256k1.SharedX(a, Secp256k1.XOnlyPublicKey(b)), Secp256k1.SharedX(b, Secp256k1.XOnlyPublicKey(a)));
    }
}
