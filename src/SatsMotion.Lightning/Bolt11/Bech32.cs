namespace SatsMotion.Lightning.Bolt11;

/// <summary>
/// Bech32 (BIP-173) without the 90-character limit, which BOLT11 lifts. Works on 5-bit groups.
/// </summary>
public static class Bech32
{
    private const string Alphabet = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    private static readonly uint[] Generator = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
    private static readonly uint[] GeneratorSums = BuildGeneratorSums();
    private static readonly sbyte[] AlphabetIndex = BuildIndex();

    public static string Encode(string hrp, ReadOnlySpan<byte> groups)
    {
        var checksum = Checksum(hrp, groups);
        var chars = new char[hrp.Length + 1 + groups.Length + 6];
        hrp.CopyTo(chars);
        chars[hrp.Length] = '1';
        var at = hrp.Length + 1;
        foreach (var g in groups)
        {
            chars[at++] = Alphabet[g];
        }

        foreach (var g in checksum)
        {
            chars[at++] = Alphabet[g];
        }

        return new string(chars);
    }

    /// <summary>Splits and checks a bech32 string; the returned groups exclude the checksum.</summary>
    public static bool TryDecode(string text, out string hrp, out byte[] groups, out string? error)
    {
        hrp = "";
        groups = [];
        var hasLower = text.Any(char.IsAsciiLetterLower);
        var hasUpper = text.Any(char.IsAsciiLetterUpper);
        if (hasLower && hasUpper)
        {
            error = "mixed upper and lower case";
            return false;
        }

        var lower = text.ToLowerInvariant();
        var separator = lower.LastIndexOf('1');
        if (separator < 1)
        {
            error = "no '1' separator after a human-readable part";
            return false;
        }

        if (lower.Length - separator - 1 < 6)
        {
            error = "too short for a checksum";
            return false;
        }

        foreach (var c in lower.AsSpan(0, separator))
        {
            if (c < 33 || c > 126)
            {
                error = "invalid character in the human-readable part";
                return false;
            }
        }

        var data = new byte[lower.Length - separator - 1];
        for (var i = 0; i < data.Length; i++)
        {
            var c = lower[separator + 1 + i];
            var value = c < 128 ? AlphabetIndex[c] : -1;
            if (value < 0)
            {
                error = $"invalid bech32 character '{c}'";
                return false;
            }

            data[i] = (byte)value;
        }

        hrp = lower[..separator];
        if (Polymod(hrp, data) != 1)
        {
            error = "bech32 checksum is invalid";
            return false;
        }

        groups = data[..^6];
        error = null;
        return true;
    }

    /// <summary>Regroups bits (8→5 with zero padding, or 5→8 dropping the incomplete tail).</summary>
    public static byte[] ConvertBits(ReadOnlySpan<byte> input, int fromBits, int toBits, bool pad)
    {
        var output = new List<byte>(input.Length * fromBits / toBits + 1);
        var accumulator = 0;
        var bits = 0;
        var maxValue = (1 << toBits) - 1;
        foreach (var value in input)
        {
            accumulator = (accumulator << fromBits) | value;
            bits += fromBits;
            while (bits >= toBits)
            {
                bits -= toBits;
                output.Add((byte)((accumulator >> bits) & maxValue));
            }

            accumulator &= (1 << bits) - 1;
        }

        if (pad && bits > 0)
        {
            output.Add((byte)((accumulator << (toBits - bits)) & maxValue));
        }

        return [.. output];
    }

    private static byte[] Checksum(string hrp, ReadOnlySpan<byte> groups)
    {
        var values = new byte[groups.Length + 6];
        groups.CopyTo(values);
        var mod = Polymod(hrp, values) ^ 1;
        var checksum = new byte[6];
        for (var i = 0; i < 6; i++)
        {
            checksum[i] = (byte)((mod >> (5 * (5 - i))) & 31);
        }

        return checksum;
    }

    private static uint Polymod(string hrp, ReadOnlySpan<byte> data)
    {
        uint chk = 1;
        foreach (var c in hrp)
        {
            chk = Step(chk, (byte)(c >> 5));
        }

        chk = Step(chk, 0);
        foreach (var c in hrp)
        {
            chk = Step(chk, (byte)(c & 31));
        }

        foreach (var v in data)
        {
            chk = Step(chk, v);
        }

        return chk;
    }

    private static uint Step(uint chk, byte value) => ((chk & 0x1ffffff) << 5) ^ value ^ GeneratorSums[chk >> 25];

    // The XOR of the generators selected by each 5-bit value: a table lookup instead of five data-dependent
    // branches per character, which random invoice data mispredicts.
    private static uint[] BuildGeneratorSums()
    {
        var sums = new uint[32];
        for (var top = 0; top < 32; top++)
        {
            for (var i = 0; i < 5; i++)
            {
                if (((top >> i) & 1) != 0)
                {
                    sums[top] ^= Generator[i];
                }
            }
        }

        return sums;
    }

    private static sbyte[] BuildIndex()
    {
        var index = new sbyte[128];
        Array.Fill(index, (sbyte)-1);
        for (var i = 0; i < Alphabet.Length; i++)
        {
            index[Alphabet[i]] = (sbyte)i;
        }

        return index;
    }
}
