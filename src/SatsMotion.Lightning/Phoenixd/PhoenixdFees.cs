namespace SatsMotion.Lightning.Phoenixd;

/// <summary>
/// What phoenixd pays to send over Lightning: ACINQ's trampoline fee, 4 sat + 0.4% of the amount (phoenixd v0.8.0
/// conf/Lsp.kt: one level of 4000 msat + 4000 ppm, no retry at a higher fee). /payinvoice has no fee limit, so this
/// is the only bound there is, computed before paying.
/// </summary>
public static class PhoenixdFees
{
    public const string Schedule = "4 sat + 0.4%";

    private const long BaseMsat = 4_000;
    private const long ProportionalMillionths = 4_000;

    /// <summary>The fee for sending <paramref name="amountMsat"/>, rounded down to the msat as lightning-kmp computes it.</summary>
    public static long TrampolineFeeMsat(long amountMsat) => BaseMsat + amountMsat * ProportionalMillionths / 1_000_000;
}
