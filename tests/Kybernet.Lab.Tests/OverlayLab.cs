using System.Net;
using System.Net.Sockets;
using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Processes;

namespace Kybernet.Lab.Tests;

/// <summary>
/// A lab with an overlay, for one test: agents are the real `kybernet` binary (built beside the tests),
/// pods are attached by the real NativeAOT plugins (./test publishes them into KYBERNET_NATIVE_DIR).
/// Dispose brings the lab down, so nothing outlives a test, failed or not.
/// </summary>
public sealed class OverlayLab : IDisposable
{
    private static int _counter;

    /// <summary>Every overlay test lab's namespaces start with this (kyb-t&lt;pid&gt;o&lt;n&gt;-).</summary>
    public static readonly string NamespacePrefix = $"/run/netns/{LabTopology.NamespacePrefix}t{Environment.ProcessId:x}o";

    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), $"kyt-lab-{Guid.NewGuid():N}");

    public OverlayLab(string backend, int nodes = 2, int etcdMembers = 1, TimeSpan? leaseTtl = null, string subnetManager = "etcd", TimeSpan? resyncPeriod = null)
    {
        Name = $"t{Environment.ProcessId:x}o{Interlocked.Increment(ref _counter)}";
        Lab = new LabCluster(new LabStateStore(_dataDir), Programs());
        try
        {
            Topology = Lab.Up(LabTopology.Plan(Name, nodes, etcdMembers: etcdMembers, backend: backend, leaseTtl: leaseTtl, subnetManager: subnetManager, resyncPeriod: resyncPeriod));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Name { get; }

    /// <summary>The lab's state directory (`--data-dir` of the lab commands).</summary>
    public string DataDirectory => _dataDir;

    public LabCluster Lab { get; }

    public LabTopology Topology { get; private set; } = null!;

    public LabPod AddPod(string node, string pod)
    {
        var added = Lab.AddPod(Name, node, pod);
        Topology = Lab.Require(Name);
        return added;
    }

    public void RestartAgent(string node) => Topology = Lab.StartAgent(Name, node);

    public void SwitchBackend(string backend) => Topology = Lab.SwitchBackend(Name, backend);

    public void StopAgent(string node, bool kill) => Topology = Lab.StopAgent(Name, node, kill);

    public void RestartContainerd(string node) => Topology = Lab.RestartContainerd(Name, node);

    /// <summary>The overlay MTU the node's agent wrote into subnet.env.</summary>
    public int Mtu(string node) => Lab.Agents.Env(node)!.Mtu;

    public IPNetwork Subnet(string node) => Lab.Agents.Env(node)!.Subnet;

    /// <summary>One ping from a pod or machine namespace; <paramref name="payload"/> bytes of ICMP data, DF set when asked.</summary>
    public static bool Ping(string netns, IPAddress target, int payload = 56, bool dontFragment = false)
    {
        var args = new[] { "-c1", "-W1", "-s", payload.ToString() }.Concat(dontFragment ? ["-M", "do"] : []).Append(target.ToString()).ToList();
        return LabCluster.Run(netns, new ChildProcessOptions("ping", args), TimeSpan.FromSeconds(60)).Succeeded;
    }

    /// <summary>
    /// Pings until one answers, within a bound: the other nodes learn a new lease through etcd's watch, so the
    /// first path may take a moment to exist. Returns whether it ever answered.
    /// </summary>
    public static bool PingEventually(string netns, IPAddress target, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (!Ping(netns, target))
        {
            if (DateTime.UtcNow > deadline)
                return false;
        }
        return true;
    }

    /// <summary>A socket born in <paramref name="netns"/> (it stays there wherever it is used).</summary>
    public static Socket SocketIn(string netns, SocketType type, ProtocolType protocol)
    {
        using var ns = NetworkNamespace.Open(netns);
        return ns.Run(() => new Socket(AddressFamily.InterNetwork, type, protocol));
    }

    /// <summary>A TCP connection from one pod to another: (client, server) ends.</summary>
    public static (Socket Client, Socket Server) Connect(LabPod from, LabPod to, int port)
    {
        using var listener = SocketIn(to.Namespace, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(to.Address.Address, port));
        listener.Listen(1);
        var client = SocketIn(from.Namespace, SocketType.Stream, ProtocolType.Tcp);
        client.ReceiveTimeout = client.SendTimeout = 10_000;
        client.Connect(new IPEndPoint(to.Address.Address, port));
        var server = listener.Accept();
        server.ReceiveTimeout = server.SendTimeout = 10_000;
        return (client, server);
    }

    /// <summary>Sends <paramref name="data"/> one way and reads it back on the other end, whole.</summary>
    public static byte[] Transfer(Socket sender, Socket receiver, byte[] data)
    {
        var send = Task.Run(() => sender.Send(data));
        var received = new byte[data.Length];
        int total = 0;
        while (total < received.Length)
        {
            int n = receiver.Receive(received, total, received.Length - total, SocketFlags.None);
            if (n == 0)
                break;
            total += n;
        }
        send.Wait(TimeSpan.FromSeconds(10));
        return received[..total];
    }

    public void Dispose()
    {
        Lab.Down(Name);
        if (Directory.Exists(_dataDir))
            Directory.Delete(_dataDir, recursive: true);
    }

    private static LabPrograms Programs()
    {
        var native = Environment.GetEnvironmentVariable("KYBERNET_NATIVE_DIR") is { } dir ? Path.Combine(dir, LabPrograms.NativeBinaryName) : null;
        if (native is null || !File.Exists(native))
            throw new FileNotFoundException("the overlay lab tests need the NativeAOT plugins: run ./test, or publish src/Kybernet.Native and set KYBERNET_NATIVE_DIR");
        // agnhost (./test publishes it into KYBERNET_AGNHOST_DIR) goes into the images of kube-mode labs.
        var agnhost = Environment.GetEnvironmentVariable("KYBERNET_AGNHOST_DIR") is { } agnhostDir ? Path.Combine(agnhostDir, "agnhost") : null;
        return new LabPrograms([Path.Combine(AppContext.BaseDirectory, "kybernet")], native) { AgnhostBinary = agnhost ?? Path.Combine(Path.GetDirectoryName(native)!, "agnhost") };
    }
}
