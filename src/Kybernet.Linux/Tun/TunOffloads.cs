namespace Kybernet.Linux.Tun;

/// <summary>
/// What a TUN reader accepts from the kernel (TUNSETOFFLOAD, the TUN_F_* bits of &lt;linux/if_tun.h&gt;): with
/// <see cref="Checksum"/> packets may come with their transport checksum left to finish
/// (<see cref="VirtioNetHeader.NeedsChecksum"/>); with TSO/USO, as super-packets for the reader to segment.
/// Needs <see cref="TunOptions.VnetHeader"/>. Anything not accepted is done by the kernel before the read.
/// </summary>
[Flags]
public enum TunOffloads : uint
{
    None = 0,
    Checksum = 0x01, // TUN_F_CSUM
    Tso4 = 0x02,     // TUN_F_TSO4 (needs Checksum)
    Tso6 = 0x04,     // TUN_F_TSO6 (needs Checksum)
    TsoEcn = 0x08,   // TUN_F_TSO_ECN
    Uso4 = 0x20,     // TUN_F_USO4
    Uso6 = 0x40,     // TUN_F_USO6
}
