namespace SatsMotion.L402.Macaroons;

/// <summary>A caveat: first-party when it has no verification id.</summary>
public sealed record MacaroonCaveat(byte[] Identifier, byte[]? VerificationId = null, string? Location = null)
{
    public bool IsFirstParty => VerificationId is null;

    public static MacaroonCaveat FirstParty(string condition) => new(System.Text.Encoding.UTF8.GetBytes(condition));
}

/// <summary>A decoded macaroon. Signature is the tail of the HMAC chain over identifier and caveats.</summary>
public sealed record Macaroon(string? Location, byte[] Identifier, IReadOnlyList<MacaroonCaveat> Caveats, byte[] Signature)
{
    public const int SignatureLength = 32;
}
