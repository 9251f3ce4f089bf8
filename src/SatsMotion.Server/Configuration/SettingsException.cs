namespace SatsMotion.Server.Configuration;

/// <summary>A server setting that cannot be used; the message is one line naming it.</summary>
public sealed class SettingsException(string message) : Exception(message);
