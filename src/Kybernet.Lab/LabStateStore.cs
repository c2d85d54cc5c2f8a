using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Kybernet.Linux.Netlink;
using Kybernet.Overlay.Agent;

namespace Kybernet.Lab;

/// <summary>
/// Keeps a lab's topology in DATA_DIR/lab.json so `status`, `exec` and `down` find what `up` made.
/// Written to a temporary file and renamed, so a reader never sees half a file.
/// </summary>
public sealed class LabStateStore(string dataDirectory)
{
    private const string FileName = "lab.json";

    /// <summary>Always absolute: process ownership is judged by paths on command lines, which must not depend on a working directory.</summary>
    public string DataDirectory { get; } = Path.GetFullPath(dataDirectory);

    public string StatePath => Path.Combine(DataDirectory, FileName);

    /// <summary>The default place: /var/lib/kybernet/labs/NAME (override with --data-dir or KYBERNET_LAB_DIR).</summary>
    public static string DefaultDirectory(string labName) =>
        Path.Combine(Environment.GetEnvironmentVariable("KYBERNET_LAB_DIR") ?? "/var/lib/kybernet/labs", labName);

    public bool Exists => File.Exists(StatePath);

    private string LockPath => Path.Combine(DataDirectory, "lab.lock");

    /// <summary>
    /// Holds the lab's lock (flock on DATA_DIR/lab.lock) until disposed: one changer of the lab at a time
    /// (up, down, pod and agent commands). `down` removes the lock file while holding it; a waiter then
    /// notices its file is gone and locks the new one (<see cref="Kybernet.Linux.Files.FileLock.AcquireRemovable"/>).
    /// </summary>
    public IDisposable Lock()
    {
        while (true)
        {
            Directory.CreateDirectory(DataDirectory);
            try
            {
                return Kybernet.Linux.Files.FileLock.AcquireRemovable(LockPath);
            }
            catch (Kybernet.Linux.LinuxException) when (!Directory.Exists(DataDirectory))
            {
                // `down` removed the whole directory while we waited: make it again and take the new lock.
            }
        }
    }

    public void Save(LabTopology topology)
    {
        Directory.CreateDirectory(DataDirectory);
        var temp = $"{StatePath}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(ToDocument(topology), Options));
        File.Move(temp, StatePath, overwrite: true);
    }

    public LabTopology? Load()
    {
        if (!Exists)
            return null;
        var document = JsonSerializer.Deserialize<Document>(File.ReadAllText(StatePath), Options)
            ?? throw new LabException($"{StatePath} is empty");
        return new LabTopology
        {
            Name = document.Name,
            Underlay = IPNetwork.Parse(document.Underlay),
            Machines = document.Machines
                .Select(m => new LabMachine(m.Name, m.Role, m.Namespace, InterfaceAddress.Parse(m.Address), m.HostVeth))
                .ToList(),
            Etcd = (document.Etcd ?? [])
                .Select(e => new EtcdMember(e.Name, IPAddress.Parse(e.Address), e.ClientPort, e.PeerPort, e.Pid))
                .ToList(),
            Backend = document.Backend,
            PodNetwork = document.PodNetwork is { } network ? IPNetwork.Parse(network) : LabTopology.DefaultPodNetwork,
            LeaseTtl = document.LeaseTtlSeconds is { } ttl ? TimeSpan.FromSeconds(ttl) : LabTopology.DefaultLeaseTtl,
            ResyncPeriod = document.ResyncPeriodSeconds is { } period ? TimeSpan.FromSeconds(period) : OverlayAgentOptions.DefaultResyncPeriod,
            IpMasq = document.IpMasq ?? true,
            SubnetManager = document.SubnetManager ?? "etcd",
            ServerPid = document.ServerPid ?? 0,
            Agents = (document.Agents ?? []).Select(a => new LabAgent(a.Node, a.Pid)).ToList(),
            Pods = (document.Pods ?? []).Select(p => new LabPod(p.Name, p.Node, p.Namespace, p.Conflist, p.AddResult)).ToList(),
        };
    }

    /// <summary>Removes the state file and the lock file (call it holding the lock), and the directory if nothing else (logs, say) is left in it.</summary>
    public void Delete()
    {
        File.Delete(StatePath);
        File.Delete(LockPath);
        if (Directory.Exists(DataDirectory) && !Directory.EnumerateFileSystemEntries(DataDirectory).Any())
            Directory.Delete(DataDirectory);
    }

    private static Document ToDocument(LabTopology t) => new(
        t.Name,
        t.Underlay.ToString(),
        t.Machines.Select(m => new MachineDocument(m.Name, m.Role, m.Namespace, m.Address.ToString(), m.HostVeth)).ToList(),
        t.Etcd.Select(e => new EtcdDocument(e.Name, e.Address.ToString(), e.ClientPort, e.PeerPort, e.Pid)).ToList(),
        t.Backend,
        t.PodNetwork.ToString(),
        (long)t.LeaseTtl.TotalSeconds,
        (long)t.ResyncPeriod.TotalSeconds,
        t.IpMasq,
        t.SubnetManager,
        t.ServerPid,
        t.Agents.Select(a => new AgentDocument(a.Node, a.Pid)).ToList(),
        t.Pods.Select(p => new PodDocument(p.Name, p.Node, p.Namespace, p.Conflist, p.AddResult)).ToList());

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    private sealed record Document(string Name, string Underlay, List<MachineDocument> Machines, List<EtcdDocument>? Etcd,
        string? Backend, string? PodNetwork, long? LeaseTtlSeconds, long? ResyncPeriodSeconds, bool? IpMasq, string? SubnetManager, int? ServerPid, List<AgentDocument>? Agents, List<PodDocument>? Pods);

    private sealed record MachineDocument(string Name, MachineRole Role, string Namespace, string Address, string HostVeth);

    private sealed record EtcdDocument(string Name, string Address, int ClientPort, int PeerPort, int Pid);

    private sealed record AgentDocument(string Node, int Pid);

    private sealed record PodDocument(string Name, string Node, string Namespace, string Conflist, string? AddResult);
}
