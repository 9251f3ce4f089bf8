using System.Security.Cryptography;
using SatsMotion.Lightning.Nwc;
using SatsMotion.Testing;

namespace SatsMotion.Lightning.Tests;

/// <summary>NIP-44 v2 checked both ways against nostr-tools, plus its padding rule and tampering.</summary>
public class Nip44Tests
{
    [Theory]
    [InlineData("{\"method\":\"pay_invoice\",\"params\":{\"invoice\":\"lnbc1\"}}")]
    [InlineData("a")]
    [InlineData("ünïcödé ⚡ and a longer text that crosses the thirty-two byte boundary of the padding")]
    public async Task Interoperates_with_nostr_tools_both_ways(string plaintext)
    {
        var ours = RandomNumberGenerator.GetBytes(32);
        var theirs = RandomNumberGenerator.GetBytes(32);
        var key = Nip44.ConversationKey(ours, Secp256k1.XOnlyPublicKey(theirs));
        var result = await NodeScript.RunAsync("nip44-check.mjs", new
        {
            secretHex = Convert.ToHexStringLower(theirs),
            peerHex = Convert.ToHexStringLower(Secp256k1.XOnlyPublicKey(ours)),
            payload = Nip44.Encrypt(key, plaintext),
            plaintext,
        });
        Assert.Equal(Convert.ToHexStringLower(key), result["conversationKeyHex"]!.GetValue<string>());
        Assert.Equal(plaintext, result["decrypted"]!.GetValue<string>());
        Assert.Equal(plaintext, Nip44.Decrypt(key, result["encrypted"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData(1, 32)]
    [InlineData(32, 32)]
    [InlineData(33, 64)]
    [InlineData(257, 320)]
    [InlineData(1000, 1024)]
    [InlineData(65535, 65536)]
    public void Padding_follows_the_spec(int length, int padded) => Assert.Equal(padded, Nip44.PaddedLength(length));

    [Fact]
    public void Tampered_payloads_are_refused()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var payload = Convert.FromBase64String(Nip44.Encrypt(key, "hello"));
        payload[40] ^= 1;
        Assert.Throws<NwcException>(() => Nip44.Decrypt(key, Convert.ToBase64String(payload)));
        Assert.Throws<NwcException>(() => Nip44.Decrypt(key, "not base64!"));
        Assert.Throws<NwcException>(() => Nip44.Decrypt(RandomNumberGenerator.GetBytes(32), Nip44.Encrypt(key, "hello")));
    }
}
