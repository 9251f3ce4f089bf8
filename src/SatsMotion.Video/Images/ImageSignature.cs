using System.Buffers.Binary;

namespace SatsMotion.Video.Images;

/// <summary>
/// Recognises the supported formats by their magic bytes, before any decoder runs, so that "not an image",
/// "truncated" and "zero size" can be told apart precisely.
/// </summary>
internal static class ImageSignature
{
    public static string? Sniff(ReadOnlySpan<byte> bytes) =>
        bytes.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G']) ? "png"
        : bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]) ? "jpeg"
        : bytes.StartsWith("GIF8"u8) ? "gif"
        : bytes.Length >= 12 && bytes.StartsWith("RIFF"u8) && bytes[8..12].SequenceEqual("WEBP"u8) ? "webp"
        : bytes.StartsWith("BM"u8) ? "bmp"
        : null;

    /// <summary>True when the header states a zero width or height (formats whose header is at a fixed place).</summary>
    public static bool DeclaresZeroSize(string format, ReadOnlySpan<byte> bytes) => format switch
    {
        "png" when bytes.Length >= 24 => BinaryPrimitives.ReadInt32BigEndian(bytes[16..]) == 0 || BinaryPrimitives.ReadInt32BigEndian(bytes[20..]) == 0,
        "gif" when bytes.Length >= 10 => BinaryPrimitives.ReadUInt16LittleEndian(bytes[6..]) == 0 || BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]) == 0,
        "bmp" when bytes.Length >= 26 => BinaryPrimitives.ReadInt32LittleEndian(bytes[18..]) == 0 || BinaryPrimitives.ReadInt32LittleEndian(bytes[22..]) == 0,
        _ => false,
    };
}
