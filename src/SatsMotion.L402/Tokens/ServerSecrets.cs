using SatsMotion.L402.Macaroons;

namespace SatsMotion.L402.Tokens;

/// <summary>
/// Root keys are derived, not stored: rootKey = HMAC-SHA256(secret, token_id), so a 402 writes nothing.
/// Previous secrets keep tokens minted before a rotation verifiable.
/// </summary>
public sealed class ServerSecrets
{
    public const int MinimumSecretLength = 32;

    public ServerSecrets(byte[] current, params IReadOnlyList<byte[]> previous)
    {
        if (current.Length < MinimumSecretLength || previous.Any(p => p.Length < MinimumSecretLength))
        {
            throw new ArgumentException($"server secrets must be at least {MinimumSecretLength} bytes");
        }

        Current = current;
        Previous = previous;
    }

    public byte[] Current { get; }

    public IReadOnlyList<byte[]> Previous { get; }

    /// <summary>The current secret, then the previous ones.</summary>
    public IEnumerable<byte[]> All => [Current, .. Previous];

    public static byte[] DeriveRootKey(byte[] secret, ReadOnlySpan<byte> tokenId) => FastHmacSha256.Compute(secret, tokenId);

    /// <summary>
    /// A token's id, from its invoice: both challenges of one 402 (the L402 macaroon and the Payment challenge) name the
    /// same token, so whichever credential comes first makes its one job. Unguessable without the secret.
    /// </summary>
    public static byte[] DeriveTokenId(byte[] secret, ReadOnlySpan<byte> paymentHash) =>
        FastHmacSha256.Compute(secret, [.. "satsmotion token id "u8, .. paymentHash]);

    /// <summary>The key of the Payment scheme's challenge ids, kept apart from the root keys.</summary>
    public static byte[] DeriveMppKey(byte[] secret) => FastHmacSha256.Compute(secret, "satsmotion payment challenge id"u8);
}
