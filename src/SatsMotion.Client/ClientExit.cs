namespace SatsMotion.Client;

/// <summary>Exit codes, so scripts and agents can tell failures apart.</summary>
public enum ClientExit
{
    Ok = 0,
    Usage = 1,
    BadInput = 2,
    PriceRefused = 3,
    PaymentFailed = 4,
    JobFailed = 5,
    ServerError = 6,
}

/// <summary>A failure that ends the command with a given exit code and a message for the user.</summary>
public sealed class ClientException(ClientExit exit, string message) : Exception(message)
{
    public ClientExit Exit { get; } = exit;
}
