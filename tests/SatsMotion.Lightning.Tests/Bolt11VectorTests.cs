using System.Security.Cryptography;
using System.Text;
using SatsMotion.Lightning.Bolt11;

namespace SatsMotion.Lightning.Tests;

/// <summary>Every invoice of vectors/bolt11: fields decoded, signatures checked, re-encoded where deterministic.</summary>
public class Bolt11VectorTests
{
    private const string SpecPayee = "03e7156ae33b0a208d0744199163177e909e80176e55d97a2f221ede0f934dd9ad";
    private const string SpecHash = "0001020304050607080900010203040506070809000102030405060708090102";
    private const string SpecSecret = "1111111111111111111111111111111111111111111111111111111111111111";
    private const long SpecTimestamp = 1496314658;
    private static readonly string CakeHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
        "One piece of chocolate cake, one icecream cone, one pickle, one slice of swiss cheese, one slice of salami, one lollypop, one piece of cherry pie, one sausage, one cupcake, and one slice of watermelon")));

    /// <summary>What each vector's title promises, field by field.</summary>
    private sealed record Expected(Bolt11Network Network, long? AmountMsat, string? Description, string? DescriptionHash, int ExpirySeconds, int[] Features, string? Fallback = null, string? Metadata = null, bool Deterministic = true);

    private static readonly Dictionary<string, Expected> ByTitle = new()
    {
        ["Please make a donation"] = new(Bolt11Network.Mainnet, null, "Please consider supporting this project", null, 3600, [8, 14]),
        ["Please send $3 for a cup of coffee"] = new(Bolt11Network.Mainnet, 250_000_000, "1 cup coffee", null, 60, [8, 14]),
        ["Please send 0.0025 BTC for a cup of nonsense"] = new(Bolt11Network.Mainnet, 250_000_000, "ナンセンス 1杯", null, 60, [8, 14]),
        ["Now send $24"] = new(Bolt11Network.Mainnet, 2_000_000_000, null, CakeHash, 3600, [8, 14]),
        ["The same, on testnet"] = new(Bolt11Network.Testnet, 2_000_000_000, null, CakeHash, 3600, [8, 14], "17:3172b5654f6683c8fb146959d347ce303cae4ca7"),
        ["On mainnet, with fallback address 1RustyRX"] = new(Bolt11Network.Mainnet, 2_000_000_000, null, CakeHash, 3600, [8, 14], "17:04b61f7dc1ea0dc99424464cc4064dc564d91e89"),
        ["On mainnet, with fallback (P2SH)"] = new(Bolt11Network.Mainnet, 2_000_000_000, null, CakeHash, 3600, [8, 14], "18:8f55563b9a19f321c211e9b9f38cdf686ea07845"),
        ["On mainnet, with fallback (P2WPKH)"] = new(Bolt11Network.Mainnet, 2_000_000_000, null, CakeHash, 3600, [8, 14], "0:751e76e8199196d454941c45d1b3a323f1433bd6"),
        ["On mainnet, with fallback (P2WSH)"] = new(Bolt11Network.Mainnet, 2_000_000_000, null, CakeHash, 3600, [8, 14], "0:1863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262"),
        ["Please send 0.00967878534 BTC"] = new(Bolt11Network.Mainnet, 967_878_534, "Blockstream Store: 88.85 USD for Blockstream Ledger Nano S x 1, \"Back In My Day\" Sticker x 2, \"I Got Lightning Working\" Sticker x 2 and 1 more items", null, 604800, [8, 14]),
        ["Please send $30 for coffee beans"] = new(Bolt11Network.Mainnet, 2_500_000_000, "coffee beans", null, 3600, [8, 14, 99]),
        ["Same, but all upper case."] = new(Bolt11Network.Mainnet, 2_500_000_000, "coffee beans", null, 3600, [8, 14, 99]),
        ["Same, but including fields which must be ignored."] = new(Bolt11Network.Mainnet, 2_500_000_000, "coffee beans", null, 3600, [8, 14, 99]),
        ["Please send 0.01 BTC with payment metadata"] = new(Bolt11Network.Mainnet, 1_000_000_000, "payment metadata inside", null, 3600, [8, 14, 48], Metadata: "01fafaf0"),
        ["Public-key recovery with high-S"] = new(Bolt11Network.Mainnet, null, "Please consider supporting this project", null, 3600, [8, 14], Deterministic: false),
    };

    public static TheoryData<string> ValidTitles()
    {
        var data = new TheoryData<string>();
        foreach (var (title, _) in Bolt11Vectors.Read("valid.tsv"))
        {
            data.Add(title);
        }

        return data;
    }

    private static Expected ExpectationFor(string title) =>
        ByTitle.Single(e => title.StartsWith(e.Key, StringComparison.Ordinal)).Value;

    [Theory]
    [MemberData(nameof(ValidTitles))]
    public void Valid_vector_decodes_every_field(string title)
    {
        var expected = ExpectationFor(title);
        var invoice = Bolt11Codec.Decode(Bolt11Vectors.Invoice("valid.tsv", title));
        Assert.Equal(expected.Network, invoice.Network);
        Assert.Equal(expected.AmountMsat, invoice.AmountMsat);
        Assert.Equal(expected.Description, invoice.Description);
        Assert.Equal(expected.DescriptionHash, invoice.DescriptionHash is null ? null : Convert.ToHexStringLower(invoice.DescriptionHash));
        Assert.Equal(expected.ExpirySeconds, (int)invoice.Expiry.TotalSeconds);
        Assert.Equal(expected.Features, invoice.Features.Order());
        Assert.Equal(SpecPayee, Convert.ToHexStringLower(invoice.Payee));
        Assert.Equal(SpecSecret, Convert.ToHexStringLower(invoice.PaymentSecret));
        Assert.Equal(expected.Metadata, invoice.Metadata is null ? null : Convert.ToHexStringLower(invoice.Metadata));
        if (expected.Fallback is null)
        {
            Assert.DoesNotContain(invoice.Fallbacks, f => f.Version != 19);
        }
        else
        {
            Assert.Equal(expected.Fallback, invoice.Fallbacks.Select(f => $"{f.Version}:{Convert.ToHexStringLower(f.Program)}").Single());
        }

        if (!title.StartsWith("Please send 0.00967878534", StringComparison.Ordinal))
        {
            Assert.Equal(SpecHash, invoice.PaymentHashHex);
            Assert.Equal(SpecTimestamp, invoice.Timestamp.ToUnixTimeSeconds());
            Assert.Equal(18, invoice.MinFinalCltvExpiry);
        }
    }

    [Fact]
    public void Pico_amount_vector_has_its_own_hash_timestamp_cltv_and_route()
    {
        var invoice = Bolt11Codec.Decode(Bolt11Vectors.Invoice("valid.tsv", "Please send 0.00967878534 BTC"));
        Assert.Equal("462264ede7e14047e9b249da94fefc47f41f7d02ee9b091815a5506bc8abf75f", invoice.PaymentHashHex);
        Assert.Equal(1572468703, invoice.Timestamp.ToUnixTimeSeconds());
        Assert.Equal(10, invoice.MinFinalCltvExpiry);
        var hop = Assert.Single(Assert.Single(invoice.RouteHints));
        Assert.Equal("03d06758583bb5154774a6eb221b1276c9e82d65bbaceca806d90e20c108f4b1c7", Convert.ToHexStringLower(hop.PublicKey));
        Assert.Equal((589390UL << 40) | (3312UL << 16) | 1UL, hop.ShortChannelId);
        Assert.Equal(1000u, hop.FeeBaseMsat);
        Assert.Equal(2500u, hop.FeeProportionalMillionths);
        Assert.Equal(40, hop.CltvExpiryDelta);
    }

    [Fact]
    public void Route_hint_vector_has_both_hops()
    {
        var invoice = Bolt11Codec.Decode(Bolt11Vectors.Invoice("valid.tsv", "On mainnet, with fallback address 1RustyRX"));
        var hops = Assert.Single(invoice.RouteHints);
        Assert.Equal(2, hops.Count);
        Assert.Equal("029e03a901b85534ff1e92c43c74431f7ce72046060fcf7a95c37e148f78c77255", Convert.ToHexStringLower(hops[0].PublicKey));
        Assert.Equal(0x0102030405060708UL, hops[0].ShortChannelId);
        Assert.Equal((1u, 20u, (ushort)3), (hops[0].FeeBaseMsat, hops[0].FeeProportionalMillionths, hops[0].CltvExpiryDelta));
        Assert.Equal("039e03a901b85534ff1e92c43c74431f7ce72046060fcf7a95c37e148f78c77255", Convert.ToHexStringLower(hops[1].PublicKey));
        Assert.Equal(0x030405060708090aUL, hops[1].ShortChannelId);
        Assert.Equal((2u, 30u, (ushort)4), (hops[1].FeeBaseMsat, hops[1].FeeProportionalMillionths, hops[1].CltvExpiryDelta));
    }

    [Theory]
    [MemberData(nameof(ValidTitles))]
    public void Deterministic_vectors_reencode_to_the_identical_string(string title)
    {
        var text = Bolt11Vectors.Invoice("valid.tsv", title);
        var invoice = Bolt11Codec.Decode(text);
        var again = Bolt11Codec.Encode(invoice.Network, invoice.AmountMsat, invoice.Timestamp, invoice.Fields, Convert.FromHexString(Bolt11Vectors.SpecPrivateKey));
        if (ExpectationFor(title).Deterministic)
        {
            Assert.Equal(text.ToLowerInvariant(), again);
        }
        else
        {
            Assert.NotEqual(text, again);
            Assert.Equal(invoice.Payee, Bolt11Codec.Decode(again).Payee);
        }
    }

    [Fact]
    public void Typed_fields_encode_the_spec_coffee_invoice_exactly()
    {
        var fields = new[]
        {
            Bolt11TaggedField.PaymentSecret(Convert.FromHexString(SpecSecret)),
            Bolt11TaggedField.PaymentHash(Convert.FromHexString(SpecHash)),
            Bolt11TaggedField.Description("1 cup coffee"),
            Bolt11TaggedField.Expiry(60),
            Bolt11TaggedField.Features([8, 14]),
        };
        var text = Bolt11Codec.Encode(Bolt11Network.Mainnet, 250_000_000, DateTimeOffset.FromUnixTimeSeconds(SpecTimestamp), fields, Convert.FromHexString(Bolt11Vectors.SpecPrivateKey));
        Assert.Equal(Bolt11Vectors.Invoice("valid.tsv", "Please send $3 for a cup of coffee"), text);
    }

    [Fact]
    public void Typed_fields_encode_the_spec_route_hint_invoice_exactly()
    {
        var fields = new[]
        {
            Bolt11TaggedField.PaymentSecret(Convert.FromHexString(SpecSecret)),
            Bolt11TaggedField.PaymentHash(Convert.FromHexString(SpecHash)),
            Bolt11TaggedField.DescriptionHash(Convert.FromHexString(CakeHash)),
            Bolt11TaggedField.Fallback(new Bolt11Fallback(17, Convert.FromHexString("04b61f7dc1ea0dc99424464cc4064dc564d91e89"))),
            Bolt11TaggedField.RouteHint([
                new(Convert.FromHexString("029e03a901b85534ff1e92c43c74431f7ce72046060fcf7a95c37e148f78c77255"), 0x0102030405060708, 1, 20, 3),
                new(Convert.FromHexString("039e03a901b85534ff1e92c43c74431f7ce72046060fcf7a95c37e148f78c77255"), 0x030405060708090a, 2, 30, 4)]),
            Bolt11TaggedField.Features([8, 14]),
        };
        var text = Bolt11Codec.Encode(Bolt11Network.Mainnet, 2_000_000_000, DateTimeOffset.FromUnixTimeSeconds(SpecTimestamp), fields, Convert.FromHexString(Bolt11Vectors.SpecPrivateKey));
        Assert.Equal(Bolt11Vectors.Invoice("valid.tsv", "On mainnet, with fallback address 1RustyRX"), text);
    }

    public static TheoryData<string, string> InvalidVectors() => new()
    {
        { "Same, but adding invalid unknown feature 100", "unknown feature bit 100" },
        { "Bech32 checksum is invalid.", "checksum" },
        { "Malformed bech32 string (no 1)", "separator" },
        { "Malformed bech32 string (mixed case)", "mixed" },
        { "Signature is not recoverable.", "not recoverable" },
        { "String is too short.", "too short" },
        { "Invalid multiplier", "multiplier" },
        { "Invalid sub-millisatoshi precision.", "sub-millisatoshi" },
        { "Missing required `s` field.", "payment secret" },
        { "Non canonical signature (high-S) with 'n' field defined", "high S" },
    };

    [Theory]
    [MemberData(nameof(InvalidVectors))]
    public void Invalid_vector_is_rejected_for_the_right_reason(string title, string reason)
    {
        Assert.False(Bolt11Codec.TryDecode(Bolt11Vectors.Invoice("invalid.tsv", title), out _, out var error));
        Assert.Contains(reason, error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Every_invalid_vector_is_covered()
    {
        Assert.Equal(Bolt11Vectors.Read("invalid.tsv").Select(v => v.Title).Order(), InvalidVectors().Select(row => (string)row[0]).Order());
    }
}
