using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace SatsMotion.Lightning.Bolt11;

/// <summary>Writes and reads BOLT11 payment requests, signing with and recovering the payee's secp256k1 key.</summary>
public static class Bolt11Codec
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    private const int TimestampGroups = 7;
    private const int SignatureGroups = 104;

    // Even feature bits we understand in invoices (BOLT 9): var_onion_optin, payment_secret, basic_mpp,
    // route_blinding, payment_metadata. An unknown even ("required") bit means we cannot pay.
    private static readonly HashSet<int> KnownRequiredFeatures = [8, 14, 16, 24, 48];

    public static string Encode(Bolt11Network network, long? amountMsat, DateTimeOffset timestamp, IEnumerable<Bolt11TaggedField> fields, ReadOnlySpan<byte> privateKey)
    {
        var hrp = "ln" + Bolt11NetworkPrefix.Of(network) + (amountMsat is { } msat ? Bolt11Amount.Format(msat) : "");
        var groups = new List<byte>(512);
        var seconds = timestamp.ToUnixTimeSeconds();
        for (var i = TimestampGroups - 1; i >= 0; i--)
        {
            groups.Add((byte)((seconds >> (5 * i)) & 31));
        }

        foreach (var field in fields)
        {
            if (field.Groups.Length > 1023)
            {
                throw new ArgumentException($"tagged field {field.Type} is longer than 1023 groups");
            }

            groups.Add((byte)field.Type);
            groups.Add((byte)(field.Groups.Length >> 5));
            groups.Add((byte)(field.Groups.Length & 31));
            groups.AddRange(field.Groups);
        }

        var signature = Secp256k1.Sign(SigningHash(hrp, [.. groups]), privateKey);
        groups.AddRange(Bech32.ConvertBits([.. signature.Compact, (byte)signature.RecoveryId], 8, 5, true));
        return Bech32.Encode(hrp, [.. groups]);
    }

    public static bool TryDecode(string paymentRequest, out Bolt11Invoice? invoice, out string? error)
    {
        try
        {
            invoice = Decode(paymentRequest);
            error = null;
            return true;
        }
        catch (Bolt11FormatException e)
        {
            invoice = null;
            error = e.Message;
            return false;
        }
    }

    public static Bolt11Invoice Decode(string paymentRequest)
    {
        var text = paymentRequest.Trim();
        if (text.StartsWith("lightning:", StringComparison.OrdinalIgnoreCase))
        {
            text = text["lightning:".Length..];
        }

        if (!Bech32.TryDecode(text, out var hrp, out var groups, out var bech32Error))
        {
            throw new Bolt11FormatException($"malformed bech32: {bech32Error}");
        }

        if (!hrp.StartsWith("ln", StringComparison.Ordinal) || !Bolt11NetworkPrefix.TryRead(hrp[2..], out var network, out var prefixLength))
        {
            throw new Bolt11FormatException($"'{hrp}' is not a known lightning invoice prefix");
        }

        long? amountMsat = null;
        var amountText = hrp[(2 + prefixLength)..];
        if (amountText.Length > 0)
        {
            if (!Bolt11Amount.TryParse(amountText, out var msat, out var amountError))
            {
                throw new Bolt11FormatException(amountError!);
            }

            amountMsat = msat;
        }

        if (groups.Length < TimestampGroups + SignatureGroups)
        {
            throw new Bolt11FormatException("invoice is too short");
        }

        var data = groups.AsSpan(0, groups.Length - SignatureGroups);
        var signatureBytes = Bech32.ConvertBits(groups.AsSpan(groups.Length - SignatureGroups), 5, 8, false);
        long seconds = 0;
        foreach (var g in data[..TimestampGroups])
        {
            seconds = (seconds << 5) | g;
        }

        var fields = ReadFields(data[TimestampGroups..]);
        var hash = SigningHash(hrp, data);
        var compact = signatureBytes[..64];
        var recoveryId = signatureBytes[64];
        var payeeField = fields.FirstOrDefault(f => f.Type == Bolt11TaggedField.PayeeType && f.Groups.Length == 53);
        byte[] payee;
        if (payeeField is not null)
        {
            payee = payeeField.ToBytes();
            if (!Secp256k1.IsLowS(compact))
            {
                throw new Bolt11FormatException("signature is not canonical (high S) while a payee key is given");
            }

            if (!Secp256k1.Verify(hash, compact, payee))
            {
                throw new Bolt11FormatException("signature does not match the payee key");
            }
        }
        else
        {
            payee = Secp256k1.Recover(hash, compact, recoveryId) ?? throw new Bolt11FormatException("signature is not recoverable");
        }

        return Build(text, network, amountMsat, DateTimeOffset.FromUnixTimeSeconds(seconds), fields, payee, new RecoverableSignature(compact, recoveryId));
    }

    private static Bolt11Invoice Build(string text, Bolt11Network network, long? amountMsat, DateTimeOffset timestamp, List<Bolt11TaggedField> fields, byte[] payee, RecoverableSignature signature)
    {
        byte[]? paymentHash = null;
        byte[]? paymentSecret = null;
        string? description = null;
        byte[]? descriptionHash = null;
        byte[]? metadata = null;
        var expiry = Bolt11Invoice.DefaultExpiry;
        var minFinalCltv = Bolt11Invoice.DefaultMinFinalCltvExpiry;
        var features = new HashSet<int>();
        var routeHints = new List<IReadOnlyList<Bolt11RouteHop>>();
        var fallbacks = new List<Bolt11Fallback>();

        // Per BOLT 11 a reader skips a known field with the wrong length, and takes the first of duplicates.
        foreach (var field in fields)
        {
            switch (field.Type)
            {
                case Bolt11TaggedField.PaymentHashType when field.Groups.Length == 52 && paymentHash is null:
                    paymentHash = field.ToBytes();
                    break;
                case Bolt11TaggedField.PaymentSecretType when field.Groups.Length == 52 && paymentSecret is null:
                    paymentSecret = field.ToBytes();
                    break;
                case Bolt11TaggedField.DescriptionHashType when field.Groups.Length == 52 && descriptionHash is null:
                    descriptionHash = field.ToBytes();
                    break;
                case Bolt11TaggedField.DescriptionType when description is null:
                    description = DecodeDescription(field.ToBytes());
                    break;
                case Bolt11TaggedField.ExpiryType when field.Groups.Length is > 0 and <= 12:
                    expiry = TimeSpan.FromSeconds(field.ToInteger());
                    break;
                case Bolt11TaggedField.MinFinalCltvType when field.Groups.Length is > 0 and <= 6:
                    minFinalCltv = (int)field.ToInteger();
                    break;
                case Bolt11TaggedField.FeaturesType:
                    features = ReadFeatures(field.Groups);
                    break;
                case Bolt11TaggedField.RouteHintType:
                    routeHints.Add(ReadRouteHint(field.ToBytes()));
                    break;
                case Bolt11TaggedField.FallbackType when field.Groups.Length > 0:
                    fallbacks.Add(new Bolt11Fallback(field.Groups[0], Bech32.ConvertBits(field.Groups.AsSpan(1), 5, 8, false)));
                    break;
                case Bolt11TaggedField.MetadataType when metadata is null:
                    metadata = field.ToBytes();
                    break;
            }
        }

        if (paymentHash is null)
        {
            throw new Bolt11FormatException("missing payment hash (p)");
        }

        if (paymentSecret is null)
        {
            throw new Bolt11FormatException("missing required payment secret (s)");
        }

        if (description is null && descriptionHash is null)
        {
            throw new Bolt11FormatException("missing description (d) or description hash (h)");
        }

        var unknownRequired = features.Where(bit => bit % 2 == 0 && !KnownRequiredFeatures.Contains(bit)).ToList();
        if (unknownRequired.Count > 0)
        {
            throw new Bolt11FormatException($"invoice requires unknown feature bit {unknownRequired[0]}");
        }

        return new Bolt11Invoice(text, network, amountMsat, timestamp, paymentHash, paymentSecret, description, descriptionHash,
            expiry, minFinalCltv, features, payee, routeHints, fallbacks, metadata, signature, fields);
    }

    private static List<Bolt11TaggedField> ReadFields(ReadOnlySpan<byte> data)
    {
        var fields = new List<Bolt11TaggedField>();
        while (!data.IsEmpty)
        {
            if (data.Length < 3)
            {
                throw new Bolt11FormatException("tagged field header is truncated");
            }

            var length = (data[1] << 5) | data[2];
            if (data.Length < 3 + length)
            {
                throw new Bolt11FormatException($"tagged field {data[0]} runs past the signature");
            }

            fields.Add(new Bolt11TaggedField(data[0], data.Slice(3, length).ToArray()));
            data = data[(3 + length)..];
        }

        return fields;
    }

    private static HashSet<int> ReadFeatures(ReadOnlySpan<byte> groups)
    {
        var bits = new HashSet<int>();
        for (var i = 0; i < groups.Length; i++)
        {
            var position = groups.Length - 1 - i;
            for (var bit = 0; bit < 5; bit++)
            {
                if ((groups[i] & (1 << bit)) != 0)
                {
                    bits.Add(position * 5 + bit);
                }
            }
        }

        return bits;
    }

    private static List<Bolt11RouteHop> ReadRouteHint(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0 || bytes.Length % Bolt11RouteHop.EncodedLength != 0)
        {
            throw new Bolt11FormatException("route hint is not a whole number of hops");
        }

        var hops = new List<Bolt11RouteHop>();
        for (; !bytes.IsEmpty; bytes = bytes[Bolt11RouteHop.EncodedLength..])
        {
            hops.Add(new Bolt11RouteHop(
                bytes[..33].ToArray(),
                BinaryPrimitives.ReadUInt64BigEndian(bytes[33..]),
                BinaryPrimitives.ReadUInt32BigEndian(bytes[41..]),
                BinaryPrimitives.ReadUInt32BigEndian(bytes[45..]),
                BinaryPrimitives.ReadUInt16BigEndian(bytes[49..])));
        }

        return hops;
    }

    private static string DecodeDescription(byte[] bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (ArgumentException)
        {
            throw new Bolt11FormatException("description is not valid UTF-8");
        }
    }

    private static byte[] SigningHash(string hrp, ReadOnlySpan<byte> dataGroups)
    {
        var hrpBytes = Encoding.UTF8.GetBytes(hrp);
        var dataBytes = Bech32.ConvertBits(dataGroups, 5, 8, true);
        return SHA256.HashData([.. hrpBytes, .. dataBytes]);
    }
}
