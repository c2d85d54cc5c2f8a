using System.Net;
using System.Text.Json.Nodes;
using Kybernet.Cni.Protocol;

namespace Kybernet.Cni.Plugins.HostLocal;

/// <summary>
/// kybernet-host-local: IPAM from ranges of a config, reservations kept on this host's disk in the
/// reference host-local plugin's format (so the two can share a data dir). ADD reserves one address
/// per range set for (container, ifname) and rolls back on failure; DEL releases them all
/// (idempotent); CHECK wants at least one; GC releases what no valid attachment holds; STATUS checks
/// the data dir can be written.
/// </summary>
public sealed class HostLocalPlugin : ICniPlugin
{
    public const string ValidAttachmentsKey = "cni.dev/valid-attachments";

    public string Name => "kybernet-host-local";

    public CniResult Add(CniRequest request)
    {
        var config = HostLocalConfig.Parse(request.Config, request.Environment.Args);
        var owner = OwnerOf(request);
        var dns = config.ResolvConf is { } resolvConf ? ResolvConf.Read(resolvConf) : new CniDns();

        // Requested addresses are matched to range sets before anything is reserved: one outside every set fails the ADD untouched.
        var requested = config.RequestedIps.ToList();
        var wanted = new List<IPAddress?>();
        foreach (var set in config.RangeSets)
        {
            var ip = requested.FirstOrDefault(set.Contains);
            if (ip is not null)
                requested.Remove(ip);
            wanted.Add(ip);
        }
        if (requested.Count > 0)
            throw new CniException(CniErrorCode.InvalidEnvironment,
                $"requested IP {string.Join(", ", requested)} is in no range set of network \"{config.Name}\" ({string.Join("; ", config.RangeSets)})");

        using var store = DiskReservationStore.Open(config.DataDir, config.Name);
        var held = store.List().Where(r => r.Owner.IsHeldBy(owner)).ToList();
        var allocations = new List<Allocation>();
        try
        {
            for (int i = 0; i < config.RangeSets.Count; i++)
                allocations.Add(AddressAllocator.Allocate(store, config.Name, config.RangeSets[i], i, owner, wanted[i], held));
        }
        catch
        {
            foreach (var allocation in allocations.Where(a => a.IsNew))
                store.Release(allocation.Ip.Address.Address);
            throw;
        }

        return new CniResult { Ips = allocations.Select(a => a.Ip).ToList(), Routes = config.Routes, Dns = dns };
    }

    public void Del(CniRequest request)
    {
        var config = HostLocalConfig.Parse(request.Config);
        var owner = OwnerOf(request);
        using var store = DiskReservationStore.Open(config.DataDir, config.Name);
        foreach (var reservation in store.List().Where(r => r.Owner.IsHeldBy(owner)))
            store.Release(reservation.Address);
    }

    public void Check(CniRequest request)
    {
        var config = HostLocalConfig.Parse(request.Config);
        var owner = OwnerOf(request);
        using var store = DiskReservationStore.Open(config.DataDir, config.Name);
        if (!store.List().Any(r => r.Owner.IsHeldBy(owner)))
            throw new CniException(CniErrorCode.UnknownContainer,
                $"check {owner}: it holds no address in network \"{config.Name}\" ({Path.Combine(config.DataDir, config.Name)})");
    }

    /// <summary>Releases every reservation whose holder is not among the config's "cni.dev/valid-attachments".</summary>
    public void Gc(CniRequest request)
    {
        var config = HostLocalConfig.Parse(request.Config);
        var valid = ValidAttachments(request.Config.Json);
        using var store = DiskReservationStore.Open(config.DataDir, config.Name);
        foreach (var reservation in store.List())
            if (!valid.Any(reservation.Owner.IsHeldBy))
                store.Release(reservation.Address);
    }

    /// <summary>Ready when the network's directory can be created and written (code 50 otherwise).</summary>
    public void Status(CniRequest request)
    {
        var config = HostLocalConfig.Parse(request.Config);
        var directory = config.NetworkDirectory;
        try
        {
            Directory.CreateDirectory(directory);
            var probe = Path.Combine(directory, $".status.{Environment.ProcessId}.tmp");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CniException(CniErrorCode.NotAvailable, $"data dir {directory} of network \"{config.Name}\" cannot be written: {e.Message}");
        }
    }

    private static Attachment OwnerOf(CniRequest request) => new(request.Environment.ContainerId, request.Environment.IfName);

    private static List<Attachment> ValidAttachments(JsonObject json)
    {
        var list = new List<Attachment>();
        if (JsonConfig.Array(json, ValidAttachmentsKey) is not { } array)
            return list;
        for (int i = 0; i < array.Count; i++)
        {
            var path = $"{ValidAttachmentsKey}[{i}].";
            var o = array[i] as JsonObject ?? throw CniException.InvalidConfig($"{ValidAttachmentsKey}[{i}]", "must be an object");
            list.Add(new Attachment(JsonConfig.RequiredString(o, "containerID", path), JsonConfig.RequiredString(o, "ifname", path)));
        }
        return list;
    }
}
