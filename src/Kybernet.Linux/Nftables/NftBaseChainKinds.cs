namespace Kybernet.Linux.Nftables;

/// <summary>What a base chain does with the packets its hook hands it.</summary>
public enum NftChainType { Filter, Nat, Route }

/// <summary>Where in the kernel's packet path a base chain is attached.</summary>
public enum NftHook { Prerouting, Input, Forward, Output, Postrouting, Ingress, Egress }

/// <summary>The verdict for packets that fall off the end of a base chain.</summary>
public enum NftPolicy { Accept, Drop }
