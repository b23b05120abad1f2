namespace Metronome.Server;

/// <summary>The server cannot start with the given settings; the message names the setting.</summary>
public sealed class ServerConfigurationException(string message) : Exception(message);
