using System.Runtime.InteropServices;
using Kybernet.Kubelet.Node;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Kubelet.Tests.Node;

public sealed class MachineFactsTests
{
    [Fact]
    public void Parses_meminfo_os_release_and_cpu_lists()
    {
        Assert.Equal(16331152L * 1024, MachineFacts.ParseMemTotalBytes("MemTotal:       16331152 kB\nMemFree:         1 kB\n"));
        Assert.Null(MachineFacts.ParseMemTotalBytes("MemFree: 1 kB\n"));
        Assert.Equal("Debian GNU/Linux 13 (trixie)", MachineFacts.ParsePrettyName("NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\n"));
        Assert.Null(MachineFacts.ParsePrettyName("NAME=x\n"));
        Assert.Equal(7, MachineFacts.ParseCpuList("0-3,6,8-9\n"));
        Assert.Equal(1, MachineFacts.ParseCpuList("0"));
        Assert.Equal(0, MachineFacts.ParseCpuList("0-x"));
        Assert.Equal("amd64", MachineFacts.ArchitectureName(Architecture.X64));
        Assert.Equal("arm64", MachineFacts.ArchitectureName(Architecture.Arm64));
    }

    [Fact]
    public void Reads_this_machine()
    {
        var root = Directory.CreateTempSubdirectory("kyt-facts-").FullName;
        try
        {
            var facts = MachineFacts.Read(root, NullLogger.Instance);
            Assert.True(facts.Cores >= 1);
            Assert.True(facts.MemoryBytes > 64L * 1024 * 1024);
            Assert.True(facts.EphemeralStorageBytes > 0);
            Assert.Equal(File.ReadAllText("/proc/sys/kernel/osrelease").Trim(), facts.KernelVersion);
            Assert.NotEmpty(facts.OsImage);
            Assert.NotEmpty(facts.BootId);
        }
        finally
        {
            Directory.Delete(root);
        }
    }

    [Fact]
    public void Quantities_are_written_in_upstreams_binary_form()
    {
        Assert.Equal("16331152Ki", NodeDescription.Bytes(16331152L * 1024));
        Assert.Equal("1000", NodeDescription.Bytes(1000));
        Assert.Equal("0", NodeDescription.Bytes(0));
    }
}
