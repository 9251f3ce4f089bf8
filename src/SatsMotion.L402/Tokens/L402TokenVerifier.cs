using System.Security.Cryptography;
using SatsMotion.L402.Macaroons;

namespace SatsMotion.L402.Tokens;

/// <summary>
/// Verifies a presented credential: macaroon signature (current or previous secret), preimage against the
/// payment hash, then caveats. Checks run cheapest-to-forge first so a failure names the first real problem.
/// </summary>
public sealed class L402TokenVerifier(ServerSecrets secrets, TimeProvider time)
{
    /// <summary>
    /// Checks only that the macaroon is ours and unaltered (no preimage yet): enough to let its holder ask about
    /// the invoice it came with, never enough to redeem.
    /// </summary>
    public L402Verification VerifyIssuer(string macaroonText) => CheckIssuer(macaroonText, out _);

    private L402Verification CheckIssuer(string macaroonText, out Macaroon? macaroon)
    {
        if (!MacaroonSerializer.TryDeserialize(macaroonText, out macaroon, out var formatError))
        {
            return L402Verification.Fail(L402Failure.MalformedMacaroon, $"macaroon is malformed: {formatError}");
        }

        if (!L402Identifier.TryDecode(macaroon!.Identifier, out var identifier, out var identifierError))
        {
            return L402Verification.Fail(L402Failure.InvalidIdentifier, identifierError!);
        }

        return HasValidSignature(macaroon, identifier!.TokenId)
            ? new L402Verification(identifier, L402Failure.None, null)
            : L402Verification.Fail(L402Failure.InvalidSignature, "macaroon signature does not verify: it was not minted here or was altered");
    }

    public L402Verification Verify(L402Credential credential, string service, ReadOnlySpan<byte> requestHash)
    {
        var issuer = CheckIssuer(credential.Macaroon, out var macaroon);
        if (!issuer.Success)
        {
            return issuer;
        }

        var identifier = issuer.Identifier!;

        Span<byte> preimageHash = stackalloc byte[32];
        SHA256.HashData(credential.Preimage, preimageHash);
        if (!CryptographicOperations.FixedTimeEquals(preimageHash, identifier.PaymentHash))
        {
            return L402Verification.Fail(L402Failure.PreimageMismatch, "preimage does not hash to the invoice's payment hash");
        }

        var caveats = CaveatSet.Read(macaroon!.Caveats, credential.Preimage);
        if (caveats.Error is not null)
        {
            return L402Verification.Fail(L402Failure.InvalidCaveat, caveats.Error);
        }

        if (caveats.Services is null || !caveats.Services.Contains(service))
        {
            return L402Verification.Fail(L402Failure.WrongService, $"token does not grant the '{service}' service");
        }

        if (caveats.ValidUntil.TryGetValue(service, out var validUntil) && time.GetUtcNow() >= validUntil)
        {
            return L402Verification.Fail(L402Failure.TokenExpired, $"token expired at {validUntil:O}", identifier);
        }

        if (caveats.RequestHash is null)
        {
            return L402Verification.Fail(L402Failure.InvalidCaveat, "token is not bound to a request");
        }

        if (!CryptographicOperations.FixedTimeEquals(caveats.RequestHash, requestHash))
        {
            return L402Verification.Fail(L402Failure.RequestMismatch, "token was paid for a different request", identifier);
        }

        return new L402Verification(identifier, L402Failure.None, null);
    }

    private bool HasValidSignature(Macaroon macaroon, byte[] tokenId)
    {
        if (MacaroonSignature.HasValidSignature(macaroon, ServerSecrets.DeriveRootKey(secrets.Current, tokenId)))
        {
            return true;
        }

        foreach (var previous in secrets.Previous)
        {
            if (MacaroonSignature.HasValidSignature(macaroon, ServerSecrets.DeriveRootKey(previous, tokenId)))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>Outcome of verification; the identifier is set on success and where knowing the token helps the caller.</summary>
public sealed record L402Verification(L402Identifier? Identifier, L402Failure Failure, string? Reason)
{
    public bool Success => Failure == L402Failure.None;

    public static L402Verification Fail(L402Failure failure, string reason, L402Identifier? identifier = null) => new(identifier, failure, reason);
}
