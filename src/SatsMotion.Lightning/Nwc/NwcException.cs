namespace SatsMotion.Lightning.Nwc;

/// <summary>What went wrong with one NIP-47 request.</summary>
public enum NwcProblem
{
    /// <summary>The relay could not be reached, or dropped the connection.</summary>
    RelayUnreachable,

    /// <summary>The relay answered OK false or CLOSED (rate limit, auth required, blocked).</summary>
    RelayRejected,

    /// <summary>No reply from the wallet service within the timeout.</summary>
    NoAnswer,

    /// <summary>The wallet service replied with a NIP-47 error; <see cref="NwcException.Code"/> holds its code.</summary>
    WalletError,

    /// <summary>A reply that does not decrypt or does not have the shape NIP-47 gives it.</summary>
    Malformed,
}

/// <summary>A NIP-47 request failed; the message is safe to show (it never holds the connection secret).</summary>
public sealed class NwcException(NwcProblem problem, string message, string? code = null, Exception? inner = null, bool requestSent = false) : Exception(message, inner)
{
    public NwcProblem Problem { get; } = problem;

    /// <summary>The request had been handed to the relay: the wallet may have acted on it.</summary>
    public bool RequestSent { get; } = requestSent;

    /// <summary>The wallet's error code (UNAUTHORIZED, RESTRICTED, NOT_FOUND, …) for <see cref="NwcProblem.WalletError"/>.</summary>
    public string? Code { get; } = code;
}
