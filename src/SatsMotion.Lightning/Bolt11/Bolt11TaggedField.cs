using System.Buffers.Binary;
using System.Text;

namespace SatsMotion.Lightning.Bolt11;

/// <summary>A route hint hop (the 51-byte record of an <c>r</c> field).</summary>
public sealed record Bolt11RouteHop(byte[] PublicKey, ulong ShortChannelId, uint FeeBaseMsat, uint FeeProportionalMillionths, ushort CltvExpiryDelta)
{
    public const int EncodedLength = 33 + 8 + 4 + 4 + 2;
}

/// <summary>An on-chain fallback address: witness version (or 17 = P2PKH, 18 = P2SH) and its hash/program.</summary>
public sealed record Bolt11Fallback(int Version, byte[] Program);

/// <summary>One tagged field as it sits in the invoice: a 5-bit type and its 5-bit data groups.</summary>
public sealed record Bolt11TaggedField(int Type, byte[] Groups)
{
    public const int PaymentHashType = 1;
    public const int RouteHintType = 3;
    public const int FeaturesType = 5;
    public const int ExpiryType = 6;
    public const int FallbackType = 9;
    public const int DescriptionType = 13;
    public const int PaymentSecretType = 16;
    public const int PayeeType = 19;
    public const int DescriptionHashType = 23;
    public const int MinFinalCltvType = 24;
    public const int MetadataType = 27;

    public static Bolt11TaggedField PaymentHash(byte[] hash) => Bytes(PaymentHashType, hash);

    public static Bolt11TaggedField PaymentSecret(byte[] secret) => Bytes(PaymentSecretType, secret);

    public static Bolt11TaggedField Description(string text) => Bytes(DescriptionType, Encoding.UTF8.GetBytes(text));

    public static Bolt11TaggedField DescriptionHash(byte[] hash) => Bytes(DescriptionHashType, hash);

    public static Bolt11TaggedField Payee(byte[] publicKey) => Bytes(PayeeType, publicKey);

    public static Bolt11TaggedField Metadata(byte[] metadata) => Bytes(MetadataType, metadata);

    public static Bolt11TaggedField Expiry(long seconds) => new(ExpiryType, IntegerGroups(seconds));

    public static Bolt11TaggedField MinFinalCltvExpiry(long blocks) => new(MinFinalCltvType, IntegerGroups(blocks));

    public static Bolt11TaggedField Fallback(Bolt11Fallback fallback) =>
        new(FallbackType, [(byte)fallback.Version, .. Bech32.ConvertBits(fallback.Program, 8, 5, true)]);

    public static Bolt11TaggedField RouteHint(IReadOnlyList<Bolt11RouteHop> hops)
    {
        var bytes = new byte[hops.Count * Bolt11RouteHop.EncodedLength];
        var span = bytes.AsSpan();
        foreach (var hop in hops)
        {
            hop.PublicKey.CopyTo(span);
            BinaryPrimitives.WriteUInt64BigEndian(span[33..], hop.ShortChannelId);
            BinaryPrimitives.WriteUInt32BigEndian(span[41..], hop.FeeBaseMsat);
            BinaryPrimitives.WriteUInt32BigEndian(span[45..], hop.FeeProportionalMillionths);
            BinaryPrimitives.WriteUInt16BigEndian(span[49..], hop.CltvExpiryDelta);
            span = span[Bolt11RouteHop.EncodedLength..];
        }

        return Bytes(RouteHintType, bytes);
    }

    /// <summary>Feature bits, least significant group last, in the fewest groups.</summary>
    public static Bolt11TaggedField Features(IEnumerable<int> bits)
    {
        var set = bits.ToArray();
        if (set.Length == 0)
        {
            return new(FeaturesType, []);
        }

        var groups = new byte[set.Max() / 5 + 1];
        foreach (var bit in set)
        {
            groups[groups.Length - 1 - bit / 5] |= (byte)(1 << (bit % 5));
        }

        return new(FeaturesType, groups);
    }

    public byte[] ToBytes() => Bech32.ConvertBits(Groups, 5, 8, false);

    public long ToInteger()
    {
        long value = 0;
        foreach (var g in Groups)
        {
            value = checked((value << 5) | g);
        }

        return value;
    }

    private static Bolt11TaggedField Bytes(int type, byte[] bytes) => new(type, Bech32.ConvertBits(bytes, 8, 5, true));

    private static byte[] IntegerGroups(long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        var groups = new List<byte>();
        do
        {
            groups.Insert(0, (byte)(value & 31));
            value >>= 5;
        }
        while (value > 0);
        return [.. groups];
    }
}
