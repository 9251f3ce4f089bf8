namespace SatsMotion.L402.Macaroons;

/// <summary>Text form of a macaroon: v2 binary in standard padded base64 out; v2 or v1, any base64 flavour, in.</summary>
public static class MacaroonSerializer
{
    public static string Serialize(Macaroon macaroon) => LenientBase64.Encode(MacaroonV2Codec.Encode(macaroon));

    public static Macaroon Deserialize(string text)
    {
        if (!LenientBase64.TryDecode(text, out var bytes))
        {
            throw new MacaroonFormatException("macaroon is not valid base64");
        }

        return DeserializeBinary(bytes);
    }

    public static Macaroon DeserializeBinary(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            throw new MacaroonFormatException("empty macaroon");
        }

        return bytes[0] == MacaroonV2Codec.Version ? MacaroonV2Codec.Decode(bytes)
            : MacaroonV1Codec.LooksLikeV1(bytes) ? MacaroonV1Codec.Decode(bytes)
            : throw new MacaroonFormatException($"unknown macaroon format (first byte {bytes[0]})");
    }

    public static bool TryDeserialize(string text, out Macaroon? macaroon, out string? error)
    {
        try
        {
            macaroon = Deserialize(text);
            error = null;
            return true;
        }
        catch (MacaroonFormatException e)
        {
            macaroon = null;
            error = e.Message;
            return false;
        }
    }
}
