using System.Net;

namespace Kybernet.Lab;

/// <summary>
/// One etcd member of the lab, running inside the control-plane machine on its underlay address.
/// Member K (1-based) listens for clients on 2379 + 10000*(K-1) and for peers on the port after it:
/// etcd-1 2379/2380, etcd-2 12379/12380, etcd-3 22379/22380 (so the member reads in the port).
/// <see cref="Pid"/> is 0 until the process is started.
/// </summary>
public sealed record EtcdMember(string Name, IPAddress Address, int ClientPort, int PeerPort, int Pid = 0)
{
    public const int FirstClientPort = 2379;
    public const int PortStride = 10000;
    /// <summary>Seven members keep the last port under 65536 (and etcd advises against more).</summary>
    public const int MaxMembers = 7;

    public string ClientUrl => $"http://{Address}:{ClientPort}";
    public string PeerUrl => $"http://{Address}:{PeerPort}";

    /// <summary>The members of a new cluster of <paramref name="count"/> on <paramref name="address"/>; computed, nothing started.</summary>
    public static IReadOnlyList<EtcdMember> Plan(IPAddress address, int count)
    {
        if (count < 0 || count > MaxMembers)
            throw new LabException($"--etcd-members must be between 0 and {MaxMembers}, not {count}");
        return Enumerable.Range(1, count)
            .Select(k => new EtcdMember($"etcd-{k}", address, FirstClientPort + PortStride * (k - 1), FirstClientPort + PortStride * (k - 1) + 1))
            .ToList();
    }

    /// <summary>etcd's --initial-cluster: every member's name and peer URL.</summary>
    public static string InitialCluster(IEnumerable<EtcdMember> members) =>
        string.Join(',', members.Select(m => $"{m.Name}={m.PeerUrl}"));
}
