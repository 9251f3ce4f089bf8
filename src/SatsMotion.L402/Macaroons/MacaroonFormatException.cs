namespace SatsMotion.L402.Macaroons;

/// <summary>Raised by the codecs for bytes that are not a well-formed macaroon; the message names what is wrong.</summary>
public sealed class MacaroonFormatException(string message) : Exception(message);
