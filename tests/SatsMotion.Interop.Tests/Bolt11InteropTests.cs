using System.Security.Cryptography;
using SatsMotion.Lightning;
using SatsMotion.Lightning.Bolt11;
using SatsMotion.Testing;

namespace SatsMotion.Interop.Tests;

/// <summary>Our invoices decoded (and their signer recovered) by the npm `bolt11` package, and its invoices decoded by us.</summary>
public class Bolt11InteropTests
{
    private static readonly byte[] NodeKey = RandomNumberGenerator.GetBytes(32);

    [Theory]
    [InlineData(500_000, "animate-image 5 s")]
    [InlineData(1_500_000, "animate-image 15 s — motion ✓")]
    [InlineData(1, "one millisatoshi")]
    public async Task Npm_bolt11_decodes_our_invoice_and_recovers_our_node_key(long msat, string description)
    {
        var hash = RandomNumberGenerator.GetBytes(32);
        var secret = RandomNumberGenerator.GetBytes(32);
        var timestamp = DateTimeOffset.FromUnixTimeSeconds(1_790_000_000);
        var invoice = Bolt11Codec.Encode(Bolt11Network.Regtest, msat, timestamp,
        [
            Bolt11TaggedField.PaymentHash(hash),
            Bolt11TaggedField.PaymentSecret(secret),
            Bolt11TaggedField.Description(description),
            Bolt11TaggedField.Expiry(600),
            Bolt11TaggedField.Features([8, 14]),
        ], NodeKey);

        var decoded = await NodeScript.RunAsync("bolt11-check.mjs", new { action = "decode", invoice });
        Assert.Equal("bcrt", decoded["network"]!.GetValue<string>());
        Assert.Equal(msat.ToString(System.Globalization.CultureInfo.InvariantCulture), decoded["millisatoshis"]!.GetValue<string>());
        Assert.Equal(timestamp.ToUnixTimeSeconds(), decoded["timestamp"]!.GetValue<long>());
        Assert.Equal(Convert.ToHexStringLower(Secp256k1.PublicKey(NodeKey)), decoded["payeeNodeKey"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(hash), decoded["paymentHash"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(secret), decoded["paymentSecret"]!.GetValue<string>());
        Assert.Equal(description, decoded["description"]!.GetValue<string>());
        Assert.Equal(600, decoded["expireTime"]!.GetValue<int>());
    }

    [Fact]
    public async Task We_decode_an_invoice_signed_by_npm_bolt11()
    {
        var hash = RandomNumberGenerator.GetBytes(32);
        var secret = RandomNumberGenerator.GetBytes(32);
        var signed = await NodeScript.RunAsync("bolt11-check.mjs", new
        {
            action = "sign",
            millisatoshis = 700_000,
            timestamp = 1_790_000_000,
            paymentHash = Convert.ToHexStringLower(hash),
            paymentSecret = Convert.ToHexStringLower(secret),
            description = "signed elsewhere",
            expireTime = 900,
            privateKeyHex = Convert.ToHexStringLower(NodeKey),
        });
        var invoice = Bolt11Codec.Decode(signed["invoice"]!.GetValue<string>());
        Assert.Equal(Bolt11Network.Regtest, invoice.Network);
        Assert.Equal(700_000, invoice.AmountMsat);
        Assert.Equal(hash, invoice.PaymentHash);
        Assert.Equal(secret, invoice.PaymentSecret);
        Assert.Equal("signed elsewhere", invoice.Description);
        Assert.Equal(TimeSpan.FromSeconds(900), invoice.Expiry);
        Assert.Equal(Secp256k1.PublicKey(NodeKey), invoice.Payee);
        Assert.Equal(signed["payeeNodeKey"]!.GetValue<string>(), Convert.ToHexStringLower(invoice.Payee));
    }
}
