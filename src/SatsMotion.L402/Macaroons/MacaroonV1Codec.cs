using System.Globalization;
using System.Text;

namespace SatsMotion.L402.Macaroons;

/// <summary>
/// Reads the libmacaroons v1 layout: packets of four hex digits (the packet's whole length),
/// then "key value\n". Read-only: we only ever write v2.
/// </summary>
public static class MacaroonV1Codec
{
    private const int HeaderLength = 4;

    public static bool LooksLikeV1(ReadOnlySpan<byte> data) =>
        data.Length >= HeaderLength && IsHex(data[0]) && IsHex(data[1]) && IsHex(data[2]) && IsHex(data[3]);

    public static Macaroon Decode(ReadOnlySpan<byte> data)
    {
        string? location = null;
        byte[]? identifier = null;
        byte[]? signature = null;
        var caveats = new List<MacaroonCaveat>();
        byte[]? pendingCaveat = null;
        byte[]? pendingVid = null;
        string? pendingLocation = null;

        void FlushCaveat()
        {
            if (pendingCaveat is not null)
            {
                caveats.Add(new MacaroonCaveat(pendingCaveat, pendingVid, pendingLocation));
            }

            pendingCaveat = null;
            pendingVid = null;
            pendingLocation = null;
        }

        while (!data.IsEmpty)
        {
            if (!LooksLikeV1(data))
            {
                throw new MacaroonFormatException("v1 packet header is not four hex digits");
            }

            var length = int.Parse(Encoding.ASCII.GetString(data[..HeaderLength]), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (length <= HeaderLength + 1 || length > data.Length)
            {
                throw new MacaroonFormatException($"v1 packet length {length} is invalid");
            }

            var body = data[HeaderLength..length];
            data = data[length..];
            if (body[^1] != (byte)'\n')
            {
                throw new MacaroonFormatException("v1 packet does not end with a newline");
            }

            body = body[..^1];
            var space = body.IndexOf((byte)' ');
            if (space <= 0)
            {
                throw new MacaroonFormatException("v1 packet has no key");
            }

            var key = Encoding.ASCII.GetString(body[..space]);
            var value = body[(space + 1)..];
            if (signature is not null)
            {
                throw new MacaroonFormatException("v1 packet after the signature");
            }

            switch (key)
            {
                case "location" when identifier is null:
                    location = Encoding.UTF8.GetString(value);
                    break;
                case "identifier" when identifier is null:
                    identifier = value.ToArray();
                    break;
                case "cid" when identifier is not null:
                    FlushCaveat();
                    pendingCaveat = value.ToArray();
                    break;
                case "vid" when pendingCaveat is not null && pendingVid is null:
                    pendingVid = value.ToArray();
                    break;
                case "cl" when pendingCaveat is not null && pendingLocation is null:
                    pendingLocation = Encoding.UTF8.GetString(value);
                    break;
                case "signature" when identifier is not null:
                    FlushCaveat();
                    if (value.Length != Macaroon.SignatureLength)
                    {
                        throw new MacaroonFormatException($"signature is {value.Length} bytes, expected {Macaroon.SignatureLength}");
                    }

                    signature = value.ToArray();
                    break;
                default:
                    throw new MacaroonFormatException($"unexpected v1 packet '{key}'");
            }
        }

        if (identifier is null || signature is null)
        {
            throw new MacaroonFormatException("v1 macaroon lacks an identifier or a signature");
        }

        return new Macaroon(location, identifier, caveats, signature);
    }

    private static bool IsHex(byte b) => b is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F';
}
