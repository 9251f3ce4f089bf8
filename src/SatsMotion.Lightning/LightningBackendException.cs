namespace SatsMotion.Lightning;

public enum LightningFailure
{
    /// <summary>The node is down, timed out, or is being given a rest by the circuit breaker: try again later.</summary>
    Unavailable,

    /// <summary>The node refused our credential or our request (wrong macaroon, rune, key or password).</summary>
    Refused,

    /// <summary>The node answered something we cannot trust: a malformed reply, or an invoice that is not what we asked for.</summary>
    Misbehaved,

    /// <summary>The configured credential does not allow this call (e.g. paying with an invoice-only key).</summary>
    NotPermitted,

    /// <summary>An outgoing payment failed (no route, insufficient balance, fee limit): nothing was paid.</summary>
    PaymentFailed,

    /// <summary>
    /// An outgoing payment was handed to the node and the call ended before its outcome was known (its time budget ran
    /// out, the connection broke, an answer we could not read): it may still succeed. Never pay it again; look it up.
    /// </summary>
    PaymentInFlight,
}

/// <summary>A Lightning backend could not do what was asked; the message is safe to log (it never holds a credential).</summary>
public sealed class LightningBackendException(LightningFailure failure, string message, Exception? inner = null) : Exception(message, inner)
{
    public LightningFailure Failure { get; } = failure;
}
