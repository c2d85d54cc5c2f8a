using System.Text.Json.Nodes;
using static Kybernet.Cni.Tests.Plugins.HostLocal.HostLocalHarness;

namespace Kybernet.Cni.Tests.Plugins.HostLocal;

/// <summary>kybernet-host-local next to the reference host-local (containernetworking-plugins): one data dir, one format, one result shape.</summary>
public sealed class HostLocalInteropTests : IDisposable
{
    private readonly HostLocalHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void SharingADataDir_AlternatingAdds_NeverHandOutTheSameAddress_AndEachReleasesTheOthers()
    {
        var config = _h.Config("1.0.0", Set(Range("10.244.1.0/24", end: "10.244.1.12")), Set(Range("fd00::/120", end: "fd00::c")));
        var seen = new List<string>();
        for (int i = 0; i < 10; i++)
        {
            var plugin = i % 2 == 0 ? Reference : Ours;
            seen.AddRange(Addresses(_h.Add(config, $"kyt-{i}", plugin: plugin)));
        }
        Assert.Equal(20, seen.Distinct().Count());
        Assert.Equal(["10.244.1.2/24", "10.244.1.3/24", "10.244.1.4/24"], seen.Where(a => a.StartsWith("10.")).Take(3));

        // Each DELs what the other reserved; then the ring continues where either left it.
        Assert.True(_h.Del(config, "kyt-0", plugin: Ours).Succeeded);
        Assert.True(_h.Del(config, "kyt-1", plugin: Reference).Succeeded);
        Assert.Equal(16, _h.ReservationFiles().Count);
        Assert.Equal(["10.244.1.12/24", "fd00::c/120"], Addresses(_h.Add(config, "kyt-10", plugin: Reference)));
        Assert.Equal(["10.244.1.2/24", "fd00::2/120"], Addresses(_h.Add(config, "kyt-11", plugin: Ours)));
        Assert.True(_h.Run("CHECK", config, "kyt-11", plugin: Reference).Succeeded);
        Assert.True(_h.Run("CHECK", config, "kyt-10", plugin: Ours).Succeeded);
    }

    [Fact]
    public void ConcurrentAddsFromBoth_GetDistinctAddresses()
    {
        var config = _h.Config("1.0.0", Set(Range("10.244.1.0/24")));
        var results = new string[16];
        using var start = new Barrier(results.Length);
        var threads = Enumerable.Range(0, results.Length).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            try { results[i] = _h.ReservedAddress(_h.Add(config, $"kyt-c{i}", plugin: i % 2 == 0 ? Reference : Ours)); }
            catch (Exception e) { results[i] = $"ADD {i} failed: {e.Message}"; }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(results.Length, results.Distinct().Count());
        Assert.Equal(results.Order(), _h.ReservationFiles().Order());
    }

    [Fact]
    public void ReservationFiles_AreByteForByteTheReferenceFormat()
    {
        var config = _h.Config("1.0.0", Set(Range("10.244.1.0/24")), Set(Range("fd00::/120")));
        _h.Add(config, "kyt-ref", ifName: "eth7", plugin: Reference);
        _h.Add(config, "kyt-ours", ifName: "eth7", plugin: Ours);
        byte[] Read(string name) => File.ReadAllBytes(Path.Combine(_h.NetworkDir, name));
        Assert.Equal("kyt-ref\r\neth7"u8.ToArray(), Read("10.244.1.2"));
        Assert.Equal("kyt-ours\r\neth7"u8.ToArray(), Read("10.244.1.3"));
        Assert.Equal("kyt-ours\r\neth7"u8.ToArray(), Read("fd00::3"));
        Assert.Equal("10.244.1.3"u8.ToArray(), Read("last_reserved_ip.0"));
        Assert.Equal("fd00::3"u8.ToArray(), Read("last_reserved_ip.1"));
        Assert.True(File.Exists(Path.Combine(_h.NetworkDir, "lock")));
        Assert.Equal(File.GetUnixFileMode(Path.Combine(_h.NetworkDir, "10.244.1.2")), File.GetUnixFileMode(Path.Combine(_h.NetworkDir, "10.244.1.3")));
    }

    [Theory]
    [InlineData("0.3.1")]
    [InlineData("0.4.0")]
    [InlineData("1.0.0")]
    public void Result_HasTheReferenceShape(string cniVersion)
    {
        JsonObject Config(string dir) => _h.Config(cniVersion, ipam =>
        {
            ipam["dataDir"] = Path.Combine(_h.DataDir, dir);
            ipam["ranges"] = new JsonArray(Set(Range("10.244.1.0/24")), Set(Range("fd00::/120")));
            ipam["routes"] = new JsonArray(new JsonObject { ["dst"] = "0.0.0.0/0" }, new JsonObject { ["dst"] = "fd00:1::/64", ["gw"] = "fd00::1" });
        });
        var reference = _h.Add(Config("ref"), "kyt-a", plugin: Reference).Output!;
        var ours = _h.Add(Config("ours"), "kyt-a", plugin: Ours).Output!;
        Assert.Equal(Normalize(reference), Normalize(ours));
        Assert.Equal(reference.ToJsonString(), ours.ToJsonString()); // same allocation from a fresh dir: identical values too
    }

    /// <summary>The structure without values: keys (sorted) and array lengths.</summary>
    private static string Normalize(JsonNode? node) => node switch
    {
        JsonObject o => "{" + string.Join(",", o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}:{Normalize(p.Value)}")) + "}",
        JsonArray a => "[" + string.Join(",", a.Select(Normalize)) + "]",
        null => "null",
        _ => "v",
    };
}
