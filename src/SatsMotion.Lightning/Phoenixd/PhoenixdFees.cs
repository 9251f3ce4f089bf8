namespace SatsMotion.Lightning.Phoenixd;

/// <summary>
/// What phoenixd pays to send over Lightning: ACINQ's trampoline fee, 4 sat + 0.4% of the amount (the rate in the
/// Phoenix FAQ and phoenixd's LSP settings; a single level, no retry at a higher fee). /payinvoice has no fee limit,
/// so this is the only bound there is, computed before paying.
/// </summary>
public static class PhoenixdFees
{
    public const string Schedule = "4 sat + 0.4%";

    private const long BaseMsat = 4_000;
    private const long ProportionalMillionths = 4_000;

    /// <summary>The fee for sending <paramref name="amountMsat"/>, rounded up to the msat.</summary>
    public static long TrampolineFeeMsat(long amountMsat) => BaseMsat + ((amountMsat * ProportionalMillionths) + 999_999) / 1_000_000;
}
