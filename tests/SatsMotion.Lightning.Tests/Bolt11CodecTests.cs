using System.Security.Cryptography;
using SatsMotion.Lightning.Bolt11;

namespace SatsMotion.Lightning.Tests;

public class Bolt11CodecTests
{
    private static readonly byte[] NodeKey = Convert.FromHexString(Bolt11Vectors.SpecPrivateKey);

    private static string Regtest(long msat, out byte[] paymentHash)
    {
        paymentHash = RandomNumberGenerator.GetBytes(32);
        return Bolt11Codec.Encode(Bolt11Network.Regtest, msat, DateTimeOffset.FromUnixTimeSeconds(1_800_000_000),
            [Bolt11TaggedField.PaymentHash(paymentHash), Bolt11TaggedField.PaymentSecret(new byte[32]), Bolt11TaggedField.Description("animate-image 5 s"), Bolt11TaggedField.Expiry(600), Bolt11TaggedField.Payee(Secp256k1.PublicKey(NodeKey))],
            NodeKey);
    }

    [Theory]
    [InlineData(500_000, "lnbcrt5u1")]
    [InlineData(1_500_000, "lnbcrt15u1")]
    [InlineData(100_000_000_000, "lnbcrt11")]
    [InlineData(1_000, "lnbcrt10n1")]
    [InlineData(1, "lnbcrt10p1")]
    [InlineData(1_234_567, "lnbcrt12345670p1")]
    public void Regtest_invoice_round_trips_with_shortest_amount(long msat, string prefix)
    {
        var text = Regtest(msat, out var hash);
        Assert.StartsWith(prefix, text);
        var invoice = Bolt11Codec.Decode(text);
        Assert.Equal(Bolt11Network.Regtest, invoice.Network);
        Assert.Equal(msat, invoice.AmountMsat);
        Assert.Equal(hash, invoice.PaymentHash);
        Assert.Equal(TimeSpan.FromMinutes(10), invoice.Expiry);
        Assert.Equal(Secp256k1.PublicKey(NodeKey), invoice.Payee);
        Assert.Equal("animate-image 5 s", invoice.Description);
    }

    [Fact]
    public void Signet_prefix_is_not_mistaken_for_testnet()
    {
        var text = Bolt11Codec.Encode(Bolt11Network.Signet, 1000, DateTimeOffset.UnixEpoch.AddYears(50),
            [Bolt11TaggedField.PaymentHash(new byte[32]), Bolt11TaggedField.PaymentSecret(new byte[32]), Bolt11TaggedField.Description("x")], NodeKey);
        Assert.StartsWith("lntbs", text);
        Assert.Equal(Bolt11Network.Signet, Bolt11Codec.Decode(text).Network);
    }

    [Fact]
    public void Any_changed_character_is_rejected()
    {
        var text = Regtest(500_000, out _);
        for (var i = 8; i < text.Length; i += 7)
        {
            var replacement = text[i] == 'q' ? 'p' : 'q';
            var mutated = text[..i] + replacement + text[(i + 1)..];
            Assert.False(Bolt11Codec.TryDecode(mutated, out _, out _), $"accepted a change at {i}");
        }
    }

    [Fact]
    public void A_forged_payee_is_rejected()
    {
        var otherKey = RandomNumberGenerator.GetBytes(32);
        var text = Bolt11Codec.Encode(Bolt11Network.Regtest, 1000, DateTimeOffset.UnixEpoch.AddYears(50),
            [Bolt11TaggedField.PaymentHash(new byte[32]), Bolt11TaggedField.PaymentSecret(new byte[32]), Bolt11TaggedField.Description("x"), Bolt11TaggedField.Payee(Secp256k1.PublicKey(NodeKey))], otherKey);
        Assert.False(Bolt11Codec.TryDecode(text, out _, out var error));
        Assert.Contains("payee", error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("lnbc")]
    [InlineData("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4")]
    [InlineData("lnxx1qqqqqqqqqqqqqqq")]
    public void Garbage_is_rejected_with_a_reason(string text)
    {
        Assert.False(Bolt11Codec.TryDecode(text, out _, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public void Lightning_uri_prefix_is_accepted()
    {
        var text = Regtest(500_000, out var hash);
        Assert.Equal(hash, Bolt11Codec.Decode("lightning:" + text).PaymentHash);
        Assert.Equal(hash, Bolt11Codec.Decode("LIGHTNING:" + text.ToUpperInvariant()).PaymentHash);
    }

    [Fact]
    public void Signatures_verify_and_recover_the_signer()
    {
        for (var i = 0; i < 50; i++)
        {
            var key = RandomNumberGenerator.GetBytes(32);
            var hash = RandomNumberGenerator.GetBytes(32);
            var signature = Secp256k1.Sign(hash, key);
            Assert.True(Secp256k1.IsLowS(signature.Compact));
            Assert.True(Secp256k1.Verify(hash, signature.Compact, Secp256k1.PublicKey(key)));
            Assert.Equal(Secp256k1.PublicKey(key), Secp256k1.Recover(hash, signature.Compact, signature.RecoveryId));
            hash[0] ^= 1;
            Assert.False(Secp256k1.Verify(hash, signature.Compact, Secp256k1.PublicKey(key)));
        }
    }
}
