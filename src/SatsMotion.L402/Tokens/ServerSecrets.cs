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

    public static byte[] DeriveRootKey(byte[] secret, ReadOnlySpan<byte> tokenId) => FastHmacSha256.Compute(secret, tokenId);
}
