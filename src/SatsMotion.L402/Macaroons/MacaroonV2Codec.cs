using System.Text;

namespace SatsMotion.L402.Macaroons;

/// <summary>
/// The libmacaroons / go-macaroon v2 binary layout: a version byte 2, then fields of
/// varint type + varint length + data, sections closed by a lone 0 (end of section).
/// </summary>
public static class MacaroonV2Codec
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    public const byte Version = 2;
    private const int FieldEndOfSection = 0;
    private const int FieldLocation = 1;
    private const int FieldIdentifier = 2;
    private const int FieldVerificationId = 4;
    private const int FieldSignature = 6;

    // Nothing legitimate comes close; refusing early keeps absurd lengths from allocating.
    public const int MaxFieldLength = 64 * 1024;
    public const int MaxCaveats = 256;

    public static byte[] Encode(Macaroon macaroon)
    {
        using var output = new MemoryStream(128 + macaroon.Caveats.Count * 64);
        output.WriteByte(Version);
        if (macaroon.Location is not null)
        {
            WriteField(output, FieldLocation, Encoding.UTF8.GetBytes(macaroon.Location));
        }

        WriteField(output, FieldIdentifier, macaroon.Identifier);
        output.WriteByte(FieldEndOfSection);
        foreach (var caveat in macaroon.Caveats)
        {
            if (caveat.Location is not null)
            {
                WriteField(output, FieldLocation, Encoding.UTF8.GetBytes(caveat.Location));
            }

            WriteField(output, FieldIdentifier, caveat.Identifier);
            if (caveat.VerificationId is not null)
            {
                WriteField(output, FieldVerificationId, caveat.VerificationId);
            }

            output.WriteByte(FieldEndOfSection);
        }

        output.WriteByte(FieldEndOfSection);
        WriteField(output, FieldSignature, macaroon.Signature);
        return output.ToArray();
    }

    public static Macaroon Decode(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            throw new MacaroonFormatException("empty macaroon");
        }

        if (data[0] != Version)
        {
            throw new MacaroonFormatException($"unsupported macaroon version byte {data[0]}");
        }

        var reader = new PacketReader(data[1..]);
        var header = ReadSection(ref reader, "header");
        if (header.Identifier is null)
        {
            throw new MacaroonFormatException("macaroon has no identifier");
        }

        if (header.VerificationId is not null)
        {
            throw new MacaroonFormatException("verification id is not allowed in the macaroon header");
        }

        var caveats = new List<MacaroonCaveat>();
        while (true)
        {
            if (reader.AtEnd)
            {
                throw new MacaroonFormatException("caveat section is not terminated");
            }

            if (reader.PeekType() == FieldEndOfSection)
            {
                reader.Skip(1);
                break;
            }

            if (caveats.Count == MaxCaveats)
            {
                throw new MacaroonFormatException($"more than {MaxCaveats} caveats");
            }

            var section = ReadSection(ref reader, "caveat");
            if (section.Identifier is null)
            {
                throw new MacaroonFormatException("caveat has no identifier");
            }

            caveats.Add(new MacaroonCaveat(section.Identifier, section.VerificationId, section.Location));
        }

        var type = reader.ReadField(out var signature);
        if (type != FieldSignature)
        {
            throw new MacaroonFormatException($"expected signature field, found field type {type}");
        }

        if (signature.Length != Macaroon.SignatureLength)
        {
            throw new MacaroonFormatException($"signature is {signature.Length} bytes, expected {Macaroon.SignatureLength}");
        }

        if (!reader.AtEnd)
        {
            throw new MacaroonFormatException("trailing bytes after signature");
        }

        return new Macaroon(header.Location, header.Identifier, caveats, signature.ToArray());
    }

    private static (string? Location, byte[]? Identifier, byte[]? VerificationId) ReadSection(ref PacketReader reader, string what)
    {
        string? location = null;
        byte[]? identifier = null;
        byte[]? verificationId = null;
        var lastType = 0;
        while (true)
        {
            if (reader.AtEnd)
            {
                throw new MacaroonFormatException($"{what} section is truncated");
            }

            if (reader.PeekType() == FieldEndOfSection)
            {
                reader.Skip(1);
                return (location, identifier, verificationId);
            }

            var type = reader.ReadField(out var value);
            if (type <= lastType)
            {
                throw new MacaroonFormatException($"field type {type} out of order in {what} section");
            }

            lastType = type;
            switch (type)
            {
                case FieldLocation:
                    location = DecodeUtf8(value, "location");
                    break;
                case FieldIdentifier:
                    identifier = value.ToArray();
                    break;
                case FieldVerificationId when what == "caveat":
                    verificationId = value.ToArray();
                    break;
                default:
                    throw new MacaroonFormatException($"unexpected field type {type} in {what} section");
            }
        }
    }

    private static string DecodeUtf8(ReadOnlySpan<byte> value, string what)
    {
        try
        {
            return StrictUtf8.GetString(value);
        }
        catch (ArgumentException)
        {
            throw new MacaroonFormatException($"{what} is not valid UTF-8");
        }
    }

    private static void WriteField(Stream output, int type, ReadOnlySpan<byte> value)
    {
        WriteVarint(output, (ulong)type);
        WriteVarint(output, (ulong)value.Length);
        output.Write(value);
    }

    private static void WriteVarint(Stream output, ulong value)
    {
        while (value >= 0x80)
        {
            output.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        output.WriteByte((byte)value);
    }

    private ref struct PacketReader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _rest = data;

        public readonly bool AtEnd => _rest.IsEmpty;

        public readonly int PeekType() => _rest[0];

        public void Skip(int count) => _rest = _rest[count..];

        public int ReadField(out ReadOnlySpan<byte> value)
        {
            var type = ReadVarint("field type");
            var length = ReadVarint("field length");
            if (type > 127)
            {
                throw new MacaroonFormatException($"field type {type} is not a macaroon field");
            }

            if (length > MaxFieldLength)
            {
                throw new MacaroonFormatException($"field length {length} exceeds {MaxFieldLength}");
            }

            if (length > (ulong)_rest.Length)
            {
                throw new MacaroonFormatException($"field of {length} bytes runs past the end of the data");
            }

            value = _rest[..(int)length];
            _rest = _rest[(int)length..];
            return (int)type;
        }

        private ulong ReadVarint(string what)
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_rest.IsEmpty)
                {
                    throw new MacaroonFormatException($"{what} varint is truncated");
                }

                var b = _rest[0];
                _rest = _rest[1..];
                result |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80)
                {
                    return result;
                }
            }

            throw new MacaroonFormatException($"{what} varint is longer than 64 bits");
        }
    }
}
