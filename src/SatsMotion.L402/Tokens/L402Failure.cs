namespace SatsMotion.L402.Tokens;

/// <summary>Why a credential was refused; each maps to one error code of the API.</summary>
public enum L402Failure
{
    None,
    MissingCredential,
    UnsupportedScheme,
    MalformedCredential,
    MalformedPreimage,
    MalformedMacaroon,
    InvalidIdentifier,
    InvalidSignature,
    PreimageMismatch,
    TokenExpired,
    WrongService,
    RequestMismatch,
    InvalidCaveat,
}
