using System.Net;
using Kybernet.Overlay.Subnets;

namespace Kybernet.Overlay.Tests.Subnets;

public sealed class SubnetEnvTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kyt-subnetenv-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Writes_flannels_keys_with_the_gateway_address_and_reads_the_subnet_back()
    {
        var path = Path.Combine(_dir.FullName, "run", "flannel", "subnet.env");
        await SubnetEnvWriter.WriteAsync(path, new SubnetEnv(IPNetwork.Parse("10.244.0.0/16"), IPNetwork.Parse("10.244.1.0/24"), 1450, true));

        Assert.Equal("FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n", await File.ReadAllTextAsync(path));
        Assert.Equal(IPNetwork.Parse("10.244.1.0/24"), SubnetEnvReader.ReadPreviousSubnet(path));
        Assert.Equal(new SubnetEnv(IPNetwork.Parse("10.244.0.0/16"), IPNetwork.Parse("10.244.1.0/24"), 1450, true), SubnetEnvReader.Read(path));
    }

    [Theory]
    [InlineData("FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\n")]
    [InlineData("FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=big\nFLANNEL_IPMASQ=true\n")]
    [InlineData("FLANNEL_NETWORK=nonsense\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n")]
    public void A_whole_read_needs_all_four_keys_well_formed(string text)
    {
        var path = Path.Combine(_dir.FullName, "partial.env");
        File.WriteAllText(path, text);
        Assert.Null(SubnetEnvReader.Read(path));
        Assert.Null(SubnetEnvReader.Read(Path.Combine(_dir.FullName, "absent.env")));
    }

    [Fact]
    public async Task Rewrites_by_rename_leaving_no_temp_file_and_never_a_partial_file()
    {
        var path = Path.Combine(_dir.FullName, "subnet.env");
        await SubnetEnvWriter.WriteAsync(path, new SubnetEnv(IPNetwork.Parse("10.244.0.0/16"), IPNetwork.Parse("10.244.1.0/24"), 1450, true));
        var inodeBefore = Inode(path);
        // Held open, the first file's inode cannot be freed and handed to a later temp file.
        using var original = File.OpenRead(path);

        // A reader running throughout sees one whole file or the other, never a mix or an empty file.
        var writes = Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                await SubnetEnvWriter.WriteAsync(path, new SubnetEnv(IPNetwork.Parse("10.244.0.0/16"), IPNetwork.Parse($"10.244.{2 + i % 2}.0/24"), 1400 + i % 2, i % 2 == 0));
            }
        });
        while (!writes.IsCompleted)
        {
            var text = await File.ReadAllTextAsync(path);
            Assert.Contains(text, new[]
            {
                "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n",
                "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.2.1/24\nFLANNEL_MTU=1400\nFLANNEL_IPMASQ=true\n",
                "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.3.1/24\nFLANNEL_MTU=1401\nFLANNEL_IPMASQ=false\n",
            });
        }
        await writes;

        Assert.NotEqual(inodeBefore, Inode(path)); // replaced by rename, not rewritten in place
        Assert.Equal([path], Directory.GetFiles(_dir.FullName));
        Assert.Equal(IPNetwork.Parse("10.244.3.0/24"), SubnetEnvReader.ReadPreviousSubnet(path));
    }

    [Fact]
    public void Reading_a_missing_file_or_key_gives_no_previous_subnet()
    {
        Assert.Null(SubnetEnvReader.ReadPreviousSubnet(Path.Combine(_dir.FullName, "absent.env")));
        var path = Path.Combine(_dir.FullName, "other.env");
        File.WriteAllText(path, "FLANNEL_NETWORK=10.244.0.0/16\n");
        Assert.Null(SubnetEnvReader.ReadPreviousSubnet(path));
        File.WriteAllText(path, "export FLANNEL_SUBNET=\"10.244.9.1/24\"\n");
        Assert.Equal(IPNetwork.Parse("10.244.9.0/24"), SubnetEnvReader.ReadPreviousSubnet(path));
    }

    private static string Inode(string path) => Tool.Run("stat", "-c", "%i", path).Trim();
}
