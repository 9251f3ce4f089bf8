using System.Globalization;

namespace SatsMotion.Lightning.Bolt11;

/// <summary>The amount in the prefix: a decimal number of bitcoin with an optional m/u/n/p multiplier, held in millisatoshi.</summary>
public static class Bolt11Amount
{
    private const long MsatPerBitcoin = 100_000_000_000;

    // Largest unit first so the shortest exact form is chosen, as wallets write it.
    private static readonly (char Unit, long MsatPerUnit)[] Units = [('m', 100_000_000), ('u', 100_000), ('n', 100)];

    public static string Format(long amountMsat)
    {
        if (amountMsat <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(amountMsat), "amount must be positive");
        }

        if (amountMsat % MsatPerBitcoin == 0)
        {
            return (amountMsat / MsatPerBitcoin).ToString(CultureInfo.InvariantCulture);
        }

        foreach (var (unit, perUnit) in Units)
        {
            if (amountMsat % perUnit == 0)
            {
                return (amountMsat / perUnit).ToString(CultureInfo.InvariantCulture) + unit;
            }
        }

        // One pico-bitcoin is a tenth of a millisatoshi.
        return (amountMsat * 10).ToString(CultureInfo.InvariantCulture) + "p";
    }

    public static bool TryParse(string text, out long amountMsat, out string? error)
    {
        amountMsat = 0;
        if (text.Length == 0)
        {
            error = "empty amount";
            return false;
        }

        var last = text[^1];
        var digits = char.IsAsciiDigit(last) ? text : text[..^1];
        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit) || digits.Length > 18)
        {
            error = char.IsAsciiDigit(last) || "munp".Contains(last) ? "amount is not a number" : $"invalid amount multiplier '{last}'";
            return false;
        }

        if (digits.Length > 1 && digits[0] == '0')
        {
            error = "amount has a leading zero";
            return false;
        }

        var value = long.Parse(digits, CultureInfo.InvariantCulture);
        try
        {
            amountMsat = last switch
            {
                >= '0' and <= '9' => checked(value * MsatPerBitcoin),
                'm' => checked(value * 100_000_000),
                'u' => checked(value * 100_000),
                'n' => checked(value * 100),
                'p' when value % 10 != 0 => throw new FormatException("sub-millisatoshi precision"),
                'p' => value / 10,
                _ => throw new FormatException($"invalid amount multiplier '{last}'"),
            };
        }
        catch (OverflowException)
        {
            error = "amount is too large";
            return false;
        }
        catch (FormatException e)
        {
            error = e.Message;
            return false;
        }

        if (amountMsat == 0)
        {
            error = "amount is zero";
            return false;
        }

        error = null;
        return true;
    }
}
