using System.Buffers.Binary;

namespace SatsMotion.L402.Tokens;

/// <summary>Aperture's identifier: uint16 version (0) ‖ payment_hash[32] ‖ token_id[32], big-endian.</summary>
public sealed record L402Identifier(byte[] PaymentHash, byte[] TokenId)
{
    public const ushort CurrentVersion = 0;
    public const int EncodedLength = 2 + 32 + 32;

    public byte[] Encode()
    {
        var bytes = new byte[EncodedLength];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, CurrentVersion);
        PaymentHash.CopyTo(bytes, 2);
        TokenId.CopyTo(bytes, 34);
        return bytes;
    }

    public string TokenIdHex => Convert.ToHexStringLower(TokenId);

    public string PaymentHashHex => Convert.ToHexStringLower(PaymentHash);

    public static bool TryDecode(ReadOnlySpan<byte> bytes, out L402Identifier? identifier, out string? error)
    {
        identifier = null;
        if (bytes.Length < 2)
        {
            error = "identifier is too short to hold a version";
            return false;
        }

        var version = BinaryPrimitives.ReadUInt16BigEndian(bytes);
        if (version != CurrentVersion)
        {
            error = $"identifier version {version} is not supported";
            return false;
        }

        if (bytes.Length != EncodedLength)
        {
            error = $"identifier is {bytes.Length} bytes, expected {EncodedLength}";
            return false;
        }

        identifier = new L402Identifier(bytes[2..34].ToArray(), bytes[34..].ToArray());
        error = null;
        return true;
    }
}
