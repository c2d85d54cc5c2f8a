namespace Kybernet.Overlay.Subnets;

/// <summary>Every subnet of the network config is leased to some node.</summary>
public sealed class SubnetsExhaustedException(string message) : Exception(message);
