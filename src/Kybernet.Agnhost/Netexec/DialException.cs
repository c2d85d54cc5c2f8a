namespace Kybernet.Agnhost.Netexec;

/// <summary>A failed /dial leg; the message goes into the answer's "errors" as it is.</summary>
public sealed class DialException(string message) : Exception(message);
