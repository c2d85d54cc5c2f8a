using System.Text.Json.Nodes;
using Kybernet.Cni.Protocol;
using static Kybernet.Cni.Tests.Plugins.HostLocal.HostLocalHarness;

namespace Kybernet.Cni.Tests.Plugins.HostLocal;

/// <summary>ADD, DEL, CHECK, GC and STATUS of kybernet-host-local, each a real plugin process.</summary>
public sealed class HostLocalAllocationTests : IDisposable
{
    private readonly HostLocalHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void Add_GivesDotTwoThenDotThree_WithGatewayRoutesAndNoInterfaces()
    {
        var config = _h.Config("1.0.0", ipam =>
        {
            ipam["ranges"] = new JsonArray(Set(Range("10.244.1.0/24")));
            ipam["routes"] = new JsonArray(new JsonObject { ["dst"] = "0.0.0.0/0" });
        });
        var first = _h.Add(config, "kyt-a");
        Assert.Equal(["10.244.1.2/24"], Addresses(first));
        Assert.Equal("10.244.1.1", first.Output!["ips"]![0]!["gateway"]!.GetValue<string>());
        Assert.Equal("0.0.0.0/0", first.Output["routes"]![0]!["dst"]!.GetValue<string>());
        Assert.Null(first.Output["interfaces"]);
        Assert.Equal(["10.244.1.3/24"], Addresses(_h.Add(config, "kyt-b")));
        Assert.Equal(["10.244.1.2", "10.244.1.3"], _h.ReservationFiles());
    }

    [Fact]
    public void Add_AfterDel_DoesNotReuseTheFreedAddressUntilWrapAround()
    {
        var config = _h.Config("1.0.0", Set(Range("10.244.1.0/24", end: "10.244.1.5")));
        Assert.Equal("10.244.1.2", _h.ReservedAddress(_h.Add(config, "kyt-a")));
        Assert.Equal("10.244.1.3", _h.ReservedAddress(_h.Add(config, "kyt-b")));
        Assert.True(_h.Del(config, "kyt-b").Succeeded);
        Assert.Equal("10.244.1.4", _h.ReservedAddress(_h.Add(config, "kyt-c")));
        Assert.Equal("10.244.1.5", _h.ReservedAddress(_h.Add(config, "kyt-d")));
        Assert.Equal("10.244.1.3", _h.ReservedAddress(_h.Add(config, "kyt-e"))); // wrapped: .1 is the gateway, .2 is held
    }

    [Fact]
    public void Add_OnAnExhaustedRange_FailsWithCode101NamingTheRange_AndLeavesNothingBehind()
    {
        var config = _h.Config("1.0.0", Set(Range("10.9.0.0/30")), Set(Range("fd00:9::/126")));
        Assert.Equal(["10.9.0.2/30", "fd00:9::2/126"], Addresses(_h.Add(config, "kyt-a")));
        var full = _h.Add(_h.Config("1.0.0", Set(Range("fd00:9::/126", "fd00:9::3")), Set(Range("10.9.0.0/30"))), "kyt-b");
        Assert.False(full.Succeeded);
        Assert.Equal(CniErrorCode.NoAddressesLeft, full.ErrorCode);
        Assert.Contains("no IP addresses available in range set: 10.9.0.1-10.9.0.2", full.ErrorMessage);
        Assert.Contains(_h.NetworkName, full.ErrorMessage);
        // fd00:9::3 was reserved for range set 0 and rolled back when range set 1 failed
        Assert.Equal(["10.9.0.2", "fd00:9::2"], _h.ReservationFiles());
    }

    [Fact]
    public void Add_WithRequestedIp_GetsIt_AndAnotherContainerCannot()
    {
        var config = _h.Config("1.0.0", Set(Range("10.244.1.0/24")));
        Assert.Equal("10.244.1.77", _h.ReservedAddress(_h.Add(config, "kyt-a", args: "IP=10.244.1.77")));
        var taken = _h.Add(config, "kyt-b", args: "IP=10.244.1.77");
        Assert.False(taken.Succeeded);
        Assert.Contains("10.244.1.77", taken.ErrorMessage);
        var outside = _h.Add(config, "kyt-c", args: "IP=10.99.0.1");
        Assert.False(outside.Succeeded);
        Assert.Contains("10.99.0.1", outside.ErrorMessage);
        Assert.Equal("10.244.1.78", _h.ReservedAddress(_h.Add(config, "kyt-d"))); // round-robin resumes after the requested one
    }

    [Fact]
    public void Add_IsIdempotentPerContainerAndInterface()
    {
        var config = _h.Config("1.0.0", Set(Range("10.244.1.0/24")), Set(Range("fd00::/120")));
        var first = Addresses(_h.Add(config, "kyt-a"));
        Assert.Equal(first, Addresses(_h.Add(config, "kyt-a")));
        Assert.Equal(["10.244.1.3/24", "fd00::3/120"], Addresses(_h.Add(config, "kyt-a", ifName: "net1")));
        Assert.Equal(4, _h.ReservationFiles().Count);
    }

    [Fact]
    public void Del_IsIdempotent_ReleasesOnlyThatInterface_AndSucceedsForUnknownContainers()
    {
        var config = _h.Config("1.0.0", Set(Range("10.244.1.0/24")));
        _h.Add(config, "kyt-a");
        _h.Add(config, "kyt-a", ifName: "net1");
        Assert.True(_h.Del(config, "kyt-a").Succeeded);
        Assert.Equal(["10.244.1.3"], _h.ReservationFiles());
        Assert.True(_h.Del(config, "kyt-a").Succeeded);
        Assert.True(_h.Del(config, "kyt-never-added").Succeeded);
        Assert.Equal(["10.244.1.3"], _h.ReservationFiles());
    }

    [Fact]
    public void Check_SucceedsWhileHeld_AndFailsAfterDel()
    {
        var config = _h.Config("1.0.0", Set(Range("10.244.1.0/24")));
        _h.Add(config, "kyt-a");
        Assert.True(_h.Run("CHECK", config, "kyt-a").Succeeded);
        _h.Del(config, "kyt-a");
        var check = _h.Run("CHECK", config, "kyt-a");
        Assert.False(check.Succeeded);
        Assert.Equal(CniErrorCode.UnknownContainer, check.ErrorCode);
        Assert.Contains("kyt-a", check.ErrorMessage);
    }

    [Fact]
    public void Gc_ReleasesEveryReservationNotInValidAttachments()
    {
        var config = _h.Config("1.1.0", Set(Range("10.244.1.0/24")), Set(Range("fd00::/120")));
        _h.Add(config, "kyt-keep");
        _h.Add(config, "kyt-gone");
        _h.Add(config, "kyt-keep", ifName: "net1");
        var gc = (JsonObject)config.DeepClone();
        gc["cni.dev/valid-attachments"] = new JsonArray(new JsonObject { ["containerID"] = "kyt-keep", ["ifname"] = "eth0" });
        Assert.True(_h.Run("GC", gc, containerId: "").Succeeded);
        Assert.Equal(["10.244.1.2", "fd00::2"], _h.ReservationFiles());
    }

    [Fact]
    public void Status_Succeeds_WhenTheDataDirIsWritable_AndIsCode50WhenNot()
    {
        var config = _h.Config("1.1.0", Set(Range("10.244.1.0/24")));
        Assert.True(_h.Run("STATUS", config, containerId: "").Succeeded);

        Directory.CreateDirectory(_h.DataDir);
        var notADirectory = Path.Combine(_h.DataDir, "file");
        File.WriteAllText(notADirectory, "");
        var broken = _h.Config("1.1.0", ipam =>
        {
            ipam["ranges"] = new JsonArray(Set(Range("10.244.1.0/24")));
            ipam["dataDir"] = Path.Combine(notADirectory, "below");
        });
        var status = _h.Run("STATUS", broken, containerId: "");
        Assert.Equal(CniErrorCode.NotAvailable, status.ErrorCode);
        Assert.Contains(notADirectory, status.ErrorMessage);
    }

    [Fact]
    public void ThirtyTwoConcurrentAdds_GetThirtyTwoDistinctAddresses()
    {
        var config = _h.Config("1.0.0", Set(Range("10.244.1.0/24")));
        var results = new string[32];
        using var start = new Barrier(32);
        var threads = Enumerable.Range(0, 32).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            try { results[i] = _h.ReservedAddress(_h.Add(config, $"kyt-c{i}")); }
            catch (Exception e) { results[i] = $"ADD {i} failed: {e.Message}"; }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(32, results.Distinct().Count());
        Assert.Equal(results.Order(), _h.ReservationFiles().Order());
    }
}
