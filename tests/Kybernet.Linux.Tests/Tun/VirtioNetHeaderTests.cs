using Kybernet.Linux.Tun;

namespace Kybernet.Linux.Tests.Tun;

public sealed class VirtioNetHeaderTests
{
    [Fact]
    public void Encodes_and_decodes_the_kernels_layout_in_host_order()
    {
        Assert.True(BitConverter.IsLittleEndian, "the golden bytes below are for a little-endian host");
        var header = new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, VirtioNetHeader.GsoTcpV4, 52, 1420, 20, 16);
        var bytes = new byte[VirtioNetHeader.Size];
        header.Write(bytes);
        Assert.Equal("010134008C0514001000", Convert.ToHexString(bytes));
        Assert.Equal(header, VirtioNetHeader.Read(bytes));
        Assert.True(header.NeedsChecksum);
        Assert.Equal(VirtioNetHeader.GsoTcpV4, new VirtioNetHeader(0, VirtioNetHeader.GsoTcpV4 | VirtioNetHeader.GsoEcn, 0, 0, 0, 0).GsoKind);
        Assert.Throws<ArgumentException>(() => VirtioNetHeader.Read(new byte[9]));
    }
}
