namespace Kybernet.Agent;

/// <summary>The agent cannot start as configured, for a reason the operator fixes (one line, no stack: "eth0 has no IPv4 address ...").</summary>
public sealed class AgentConfigurationException(string message) : Exception(message);
