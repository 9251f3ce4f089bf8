namespace SatsMotion.Lightning;

/// <summary>
/// The fee limit of a pay-out when the operator sets none and the backend has no rule of its own (LND's
/// SendPaymentV2 allows only fee-free routes without one): 1 % with a floor of 5 sat, Core Lightning's xpay default
/// (doc/schemas/xpay.json, maxfee), so small refunds still find a route and large ones cannot cost much.
/// </summary>
public static class PayoutFees
{
    public const string Rule = "1% (at least 5 sat)";

    public static long DefaultLimitSat(long amountMsat) => Math.Max(5, (amountMsat / 1000 + 99) / 100);
}
