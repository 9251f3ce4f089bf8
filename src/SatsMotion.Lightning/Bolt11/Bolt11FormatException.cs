namespace SatsMotion.Lightning.Bolt11;

/// <summary>An invoice that must not be paid; the message names the rule it breaks.</summary>
public sealed class Bolt11FormatException(string message) : Exception(message);
