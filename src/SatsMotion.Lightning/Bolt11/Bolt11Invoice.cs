namespace SatsMotion.Lightning.Bolt11;

/// <summary>A decoded, signature-checked BOLT11 invoice. Fields holds every tagged field in order, as signed.</summary>
public sealed record Bolt11Invoice(
    string PaymentRequest,
    Bolt11Network Network,
    long? AmountMsat,
    DateTimeOffset Timestamp,
    byte[] PaymentHash,
    byte[] PaymentSecret,
    string? Description,
    byte[]? DescriptionHash,
    TimeSpan Expiry,
    int MinFinalCltvExpiry,
    IReadOnlySet<int> Features,
    byte[] Payee,
    IReadOnlyList<IReadOnlyList<Bolt11RouteHop>> RouteHints,
    IReadOnlyList<Bolt11Fallback> Fallbacks,
    byte[]? Metadata,
    RecoverableSignature Signature,
    IReadOnlyList<Bolt11TaggedField> Fields)
{
    public static readonly TimeSpan DefaultExpiry = TimeSpan.FromHours(1);
    public const int DefaultMinFinalCltvExpiry = 18;

    public DateTimeOffset ExpiresAt => Timestamp + Expiry;

    public long? AmountSat => AmountMsat / 1000;

    public string PaymentHashHex => Convert.ToHexStringLower(PaymentHash);
}
