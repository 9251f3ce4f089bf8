using System.Text;
using SatsMotion.Lightning.Bolt11;

namespace SatsMotion.Lightning.Lnurl;

/// <summary>LUD-01: an LNURL is the URL's UTF-8 bytes in bech32 with the prefix "lnurl" (no length limit), upper case for QR codes.</summary>
public static class Lnurl
{
    public static string Encode(Uri url) => Bech32.Encode("lnurl", Bech32.ConvertBits(Encoding.UTF8.GetBytes(url.AbsoluteUri), 8, 5, true)).ToUpperInvariant();

    public static bool TryDecode(string lnurl, out Uri? url)
    {
        url = null;
        if (!Bech32.TryDecode(lnurl.ToLowerInvariant(), out var hrp, out var groups, out _) || hrp != "lnurl")
        {
            return false;
        }

        try
        {
            return Uri.TryCreate(Encoding.UTF8.GetString(Bech32.ConvertBits(groups, 5, 8, false)), UriKind.Absolute, out url);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
