namespace SatsMotion.L402;

/// <summary>
/// Base64 as clients send it: standard or URL-safe alphabet, padded or not.
/// Output is always standard and padded, which every client reads.
/// </summary>
public static class LenientBase64
{
    public static bool TryDecode(string? text, out byte[] bytes)
    {
        bytes = [];
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var trimmed = text.AsSpan().Trim().TrimEnd('=');
        if (trimmed.Length % 4 == 1)
        {
            return false;
        }

        Span<char> standard = trimmed.Length + 3 <= 4096 ? stackalloc char[trimmed.Length + 3] : new char[trimmed.Length + 3];
        var length = 0;
        foreach (var c in trimmed)
        {
            standard[length++] = c switch
            {
                '-' => '+',
                '_' => '/',
                _ => c,
            };
        }

        while (length % 4 != 0)
        {
            standard[length++] = '=';
        }

        var buffer = new byte[length / 4 * 3];
        if (!Convert.TryFromBase64Chars(standard[..length], buffer, out var written))
        {
            return false;
        }

        bytes = written == buffer.Length ? buffer : buffer[..written];
        return true;
    }

    public static string Encode(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes);
}
