namespace Kybernet.Lab;

/// <summary>The `kybernet agent` process of one node (its overlay); <see cref="Pid"/> is 0 while it is not running.</summary>
public sealed record LabAgent(string Node, int Pid = 0);
