using System.Text;
using SatsMotion.L402.Macaroons;

namespace SatsMotion.L402.Tests;

public class MacaroonCodecTests
{
    private static readonly byte[] RootKey = Encoding.UTF8.GetBytes("a root key of thirty-two bytes!!");

    private static Macaroon Sample()
    {
        var m = MacaroonSignature.Mint(RootKey, Encoding.UTF8.GetBytes("id-1"), "satsmotion");
        m = MacaroonSignature.AddFirstPartyCaveat(m, "services=animate-image:0");
        return MacaroonSignature.AddFirstPartyCaveat(m, "request_hash=" + new string('a', 64));
    }

    [Fact]
    public void Round_trips_through_v2_binary_and_base64()
    {
        var macaroon = Sample();
        var text = MacaroonSerializer.Serialize(macaroon);
        Assert.DoesNotContain('-', text);
        Assert.DoesNotContain('_', text);
        var back = MacaroonSerializer.Deserialize(text);
        Assert.Equal(macaroon.Identifier, back.Identifier);
        Assert.Equal(macaroon.Signature, back.Signature);
        Assert.Equal("satsmotion", back.Location);
        Assert.True(MacaroonSignature.HasValidSignature(back, RootKey));
    }

    [Fact]
    public void Accepts_url_safe_and_unpadded_base64()
    {
        var bytes = MacaroonV2Codec.Encode(Sample());
        var standard = Convert.ToBase64String(bytes);
        var urlSafe = standard.Replace('+', '-').Replace('/', '_').TrimEnd('=');
        Assert.Equal(Sample().Identifier, MacaroonSerializer.Deserialize(urlSafe).Identifier);
        Assert.Equal(Sample().Identifier, MacaroonSerializer.Deserialize(standard.TrimEnd('=')).Identifier);
    }

    [Fact]
    public void Wrong_root_key_fails_verification()
    {
        Assert.False(MacaroonSignature.HasValidSignature(Sample(), Encoding.UTF8.GetBytes("another root key, also 32 bytes!")));
    }

    [Fact]
    public void Flipped_bit_anywhere_in_signature_identifier_or_caveat_fails()
    {
        var macaroon = Sample();
        for (var i = 0; i < 32; i++)
        {
            var signature = (byte[])macaroon.Signature.Clone();
            signature[i] ^= 0x01;
            Assert.False(MacaroonSignature.HasValidSignature(macaroon with { Signature = signature }, RootKey));
        }

        for (var i = 0; i < macaroon.Identifier.Length; i++)
        {
            var identifier = (byte[])macaroon.Identifier.Clone();
            identifier[i] ^= 0x80;
            Assert.False(MacaroonSignature.HasValidSignature(macaroon with { Identifier = identifier }, RootKey));
        }

        var caveat = (byte[])macaroon.Caveats[0].Identifier.Clone();
        caveat[^1] ^= 0x01;
        Assert.False(MacaroonSignature.HasValidSignature(macaroon with { Caveats = [new MacaroonCaveat(caveat), macaroon.Caveats[1]] }, RootKey));
    }

    [Fact]
    public void Dropping_or_reordering_a_caveat_fails()
    {
        var macaroon = Sample();
        Assert.False(MacaroonSignature.HasValidSignature(macaroon with { Caveats = [macaroon.Caveats[0]] }, RootKey));
        Assert.False(MacaroonSignature.HasValidSignature(macaroon with { Caveats = [macaroon.Caveats[1], macaroon.Caveats[0]] }, RootKey));
    }

    [Fact]
    public void Third_party_caveats_fail_closed()
    {
        var macaroon = Sample();
        var withThirdParty = macaroon with { Caveats = [.. macaroon.Caveats, new MacaroonCaveat([1, 2], [3, 4], "elsewhere")] };
        var decoded = MacaroonV2Codec.Decode(MacaroonV2Codec.Encode(withThirdParty));
        Assert.False(decoded.Caveats[^1].IsFirstParty);
        Assert.Equal("elsewhere", decoded.Caveats[^1].Location);
        Assert.False(MacaroonSignature.HasValidSignature(decoded, RootKey));
    }

    [Fact]
    public void Every_truncation_is_rejected_with_a_reason()
    {
        var bytes = MacaroonV2Codec.Encode(Sample());
        for (var length = 0; length < bytes.Length; length++)
        {
            var error = Assert.Throws<MacaroonFormatException>(() => MacaroonV2Codec.Decode(bytes.AsSpan(0, length)));
            Assert.False(string.IsNullOrWhiteSpace(error.Message));
        }
    }

    [Theory]
    [InlineData(new byte[] { 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, "varint")]
    [InlineData(new byte[] { 2, 2, 0xff, 0xff, 0xff, 0xff, 0x0f }, "exceeds")]
    [InlineData(new byte[] { 2, 2, 0x7f, 1, 2, 3 }, "runs past")]
    [InlineData(new byte[] { 3, 2, 1, 65, 0, 0, 6, 0 }, "version")]
    [InlineData(new byte[] { 2, 0, 0, 6, 32 }, "no identifier")]
    [InlineData(new byte[] { 2, 2, 1, 65, 0, 0, 6, 3, 1, 2, 3 }, "signature is 3 bytes")]
    [InlineData(new byte[] { 2, 2, 1, 65, 1, 1, 66, 0, 0, 6, 0 }, "out of order")]
    [InlineData(new byte[] { 2, 2, 1, 65, 9, 1, 66, 0, 0, 6, 0 }, "unexpected field")]
    public void Malformed_binary_is_rejected_with_a_reason(byte[] bytes, string reason)
    {
        var error = Assert.Throws<MacaroonFormatException>(() => MacaroonV2Codec.Decode(bytes));
        Assert.Contains(reason, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("!!!not base64!!!")]
    [InlineData("AA")]
    [InlineData("QQ==")]
    public void Bad_text_is_rejected_without_other_exceptions(string text)
    {
        Assert.False(MacaroonSerializer.TryDeserialize(text, out _, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public void Random_mutations_never_throw_anything_but_format_errors()
    {
        var bytes = MacaroonV2Codec.Encode(Sample());
        var random = new Random(402);
        for (var i = 0; i < 5000; i++)
        {
            var mutated = (byte[])bytes.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            }

            try
            {
                var decoded = MacaroonSerializer.DeserializeBinary(mutated);
                MacaroonSignature.HasValidSignature(decoded, RootKey);
            }
            catch (MacaroonFormatException)
            {
            }
        }
    }
}
