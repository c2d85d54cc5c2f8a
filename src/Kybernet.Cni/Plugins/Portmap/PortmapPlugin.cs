using Kybernet.Cni.Protocol;
using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Nftables;

namespace Kybernet.Cni.Plugins.Portmap;

/// <summary>
/// kybernet-portmap: a chained plugin that maps host ports to a container with nftables DNAT (see
/// <see cref="PortmapTable"/> for the table). It runs in the node's namespace, after the plugin that
/// gave the container its address, and passes that plugin's result on unchanged. Each command reads
/// the table once and changes it with one atomic `nft -f -` transaction.
/// </summary>
public sealed class PortmapPlugin : ICniPlugin
{
    public const string PluginName = "kybernet-portmap";

    private readonly INftables? _nftables;

    /// <summary>The real plugin: nft in the namespace the process runs in.</summary>
    public PortmapPlugin() { }

    /// <summary>A plugin over another <see cref="INftables"/> (a fake, or another namespace's NftCli).</summary>
    public PortmapPlugin(INftables nftables) => _nftables = nftables;

    public string Name => PluginName;

    public CniResult Add(CniRequest request)
    {
        var config = PortmapConfig.Parse(request.Config);
        var previous = request.Config.PrevResult ?? throw CniException.InvalidConfig("prevResult",
            $"is required: {PluginName} runs chained after the plugin that gives the container its address");
        if (config.Mappings.Count == 0)
            return previous;
        var owner = PortmapAttachment.From(request.Environment);
        var containerIp = ContainerIp(previous);
        var desired = PortmapPlanner.Desired(owner, containerIp, config);
        WithNftables(nft =>
        {
            var existing = PortmapEntry.ReadAll(nft.ListTable(NftFamily.Ip, PortmapTable.Table.Name));
            nft.Apply(PortmapPlanner.Add(owner, desired, existing));
        });
        return previous;
    }

    /// <summary>Removes the attachment's elements, found by their comments: needs neither prevResult nor a valid runtimeConfig.</summary>
    public void Del(CniRequest request)
    {
        var owner = PortmapAttachment.From(request.Environment);
        WithNftables(nft =>
        {
            var existing = PortmapEntry.ReadAll(nft.ListTable(NftFamily.Ip, PortmapTable.Table.Name));
            ApplyIfAny(nft, PortmapPlanner.Remove(existing.Where(e => e.Owner == owner)));
        });
    }

    public void Check(CniRequest request)
    {
        var config = PortmapConfig.Parse(request.Config);
        var previous = request.Config.PrevResult ?? throw CniException.InvalidConfig("prevResult",
            $"is required: {PluginName} checks the mappings to the address the previous plugin reported");
        if (config.Mappings.Count == 0)
            return;
        var owner = PortmapAttachment.From(request.Environment);
        var desired = PortmapPlanner.Desired(owner, ContainerIp(previous), config);
        WithNftables(nft =>
        {
            var table = nft.ListTable(NftFamily.Ip, PortmapTable.Table.Name);
            if (PortmapPlanner.FirstMissing(desired, PortmapEntry.ReadAll(table)) is { } missing)
                throw PortmapErrors.MappingMissing(owner, missing, tableExists: table is not null);
        });
    }

    /// <summary>Spec 1.1 GC: removes every element whose owner is not in "cni.dev/valid-attachments". An entry without an ifname keeps all of that container's elements; elements without an owner comment are left alone.</summary>
    public void Gc(CniRequest request)
    {
        var valid = ValidAttachments.Parse(request.Config);
        bool Kept(PortmapAttachment owner) =>
            valid.Any(v => v.ContainerId == owner.ContainerId && (v.IfName == owner.IfName || v.IfName.Length == 0));
        WithNftables(nft =>
        {
            var existing = PortmapEntry.ReadAll(nft.ListTable(NftFamily.Ip, PortmapTable.Table.Name));
            ApplyIfAny(nft, PortmapPlanner.Remove(existing.Where(e => e.Owner is { } owner && !Kept(owner))));
        });
    }

    private static System.Net.IPAddress ContainerIp(CniResult previous) =>
        PortmapConfig.ContainerIpv4(previous) ?? throw CniException.InvalidConfig("prevResult.ips",
            $"has no IPv4 address of the container to map ports to ({PluginName} maps IPv4 only)");

    private static void ApplyIfAny(INftables nft, NftTransaction transaction)
    {
        if (!transaction.IsEmpty)
            nft.Apply(transaction);
    }

    private void WithNftables(Action<INftables> action)
    {
        if (_nftables is not null)
        {
            action(_nftables);
            return;
        }
        using var current = NetworkNamespace.OpenCurrent();
        action(new NftCli(current));
    }
}
