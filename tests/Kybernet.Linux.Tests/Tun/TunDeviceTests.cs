using System.Buffers.Binary;
using System.Net;
using System.Text.Json;
using Kybernet.Linux.Io;
using Kybernet.Linux.Tun;

namespace Kybernet.Linux.Tests.Tun;

public class TunDeviceTests
{
    [Fact]
    public void Open_creates_a_tun_link_that_ip_sees_and_that_goes_away_with_the_last_fd()
    {
        using var ns = new TestNamespace();
        using (var tun = TunDevice.Open(ns, "tun0"))
        {
            Assert.Equal("tun0", tun.Name);
            Assert.False(tun.IsPersistent);
            var link = LinkDetails(ns, "tun0");
            Assert.Equal(tun.Index, link.GetProperty("ifindex").GetInt32());
            Assert.Equal("none", link.GetProperty("link_type").GetString());
            var info = link.GetProperty("linkinfo");
            Assert.Equal("tun", info.GetProperty("info_kind").GetString());
            Assert.Equal("tun", info.GetProperty("info_data").GetProperty("type").GetString());
            Assert.False(info.GetProperty("info_data").GetProperty("pi").GetBoolean());
            Assert.False(info.GetProperty("info_data").GetProperty("multi_queue").GetBoolean());
        }
        Assert.DoesNotContain("tun0", ns.Ip("-j", "link", "show"));
    }

    [Fact]
    public void A_persistent_tun_outlives_its_fds_and_Delete_removes_it()
    {
        using var ns = new TestNamespace();
        using (var tun = TunDevice.Open(ns, "tun0", new TunOptions { Persistent = true }))
            Assert.True(tun.IsPersistent);

        var link = LinkDetails(ns, "tun0");
        Assert.True(link.GetProperty("linkinfo").GetProperty("info_data").GetProperty("persist").GetBoolean());

        Assert.True(TunDevice.Delete(ns, "tun0"));
        Assert.DoesNotContain("tun0", ns.Ip("-j", "link", "show"));
        Assert.False(TunDevice.Delete(ns, "tun0"));
    }

    [Fact]
    public void A_name_pattern_reports_the_name_the_kernel_chose()
    {
        using var ns = new TestNamespace();
        using var first = TunDevice.Open(ns, "kyt%d");
        using var second = TunDevice.Open(ns, "kyt%d");
        Assert.Equal("kyt0", first.Name);
        Assert.Equal("kyt1", second.Name);
        Assert.Contains("kyt1", ns.Ip("-j", "link", "show", "kyt1"));
    }

    [Fact]
    public void Multi_queue_opens_one_fd_per_queue_on_the_same_link_and_Delete_handles_it()
    {
        using var ns = new TestNamespace();
        using (var tun = TunDevice.Open(ns, "tun0", new TunOptions { Queues = 2, Persistent = true }))
        {
            Assert.Equal(2, tun.Queues.Count);
            Assert.Equal([0, 1], tun.Queues.Select(q => q.Index));
            var data = LinkDetails(ns, "tun0").GetProperty("linkinfo").GetProperty("info_data");
            Assert.True(data.GetProperty("multi_queue").GetBoolean());
            Assert.Equal(2, data.GetProperty("numqueues").GetInt32());

            tun.Queues[1].SetEnabled(false);
            Assert.Equal(1, LinkDetails(ns, "tun0").GetProperty("linkinfo").GetProperty("info_data").GetProperty("numqueues").GetInt32());
            tun.Queues[1].SetEnabled(true);
        }
        Assert.True(TunDevice.Delete(ns, "tun0"));
        // The link goes with the last descriptor on it. A child this test process forks meanwhile (other
        // tests run `ip`) holds a copy of ours until it execs (O_CLOEXEC), so allow it that moment (bounded).
        for (var i = 0; i < 50 && ns.Ip("-j", "link", "show").Contains("tun0"); i++)
            Thread.Sleep(100);
        Assert.DoesNotContain("tun0", ns.Ip("-j", "link", "show"));
    }

    [Fact]
    public async Task The_kernel_answers_an_echo_request_written_to_the_tun_and_the_reply_is_read_back()
    {
        using var ns = new TestNamespace();
        using var tun = TunDevice.Open(ns, "tun0");
        Sysctl.Set(ns, "net.ipv6.conf.tun0.disable_ipv6", "1"); // no router solicitations in the way
        ns.Ip("addr", "add", "10.9.0.1/24", "dev", "tun0");
        ns.Ip("link", "set", "tun0", "up");

        var self = IPAddress.Parse("10.9.0.1");
        var peer = IPAddress.Parse("10.9.0.2"); // routed to tun0 by the connected /24
        var payload = "kybernet tun round trip"u8.ToArray();
        var replied = ReadEchoReply(tun.Queue, 0x4b59); // waits on the poller: nothing is queued yet
        Assert.False(replied.IsCompleted);
        await tun.Queue.WriteAsync(IcmpPacket.EchoRequest(peer, self, id: 0x4b59, sequence: 7, payload));

        var reply = await replied;
        var ip = reply.AsSpan(0, IcmpPacket.HeaderLength);
        var icmp = reply.AsSpan(IcmpPacket.HeaderLength);
        Assert.Equal(reply.Length, BinaryPrimitives.ReadUInt16BigEndian(ip[2..]));
        Assert.Equal(0, IcmpPacket.Checksum(ip));
        Assert.Equal(self, new IPAddress(ip[12..16]));
        Assert.Equal(peer, new IPAddress(ip[16..20]));
        Assert.Equal(0, icmp[0]); // echo reply
        Assert.Equal(0, icmp[1]);
        Assert.Equal(0, IcmpPacket.Checksum(icmp));
        Assert.Equal(7, BinaryPrimitives.ReadUInt16BigEndian(icmp[6..]));
        Assert.Equal(payload, icmp[8..].ToArray());
    }

    [Fact]
    public void A_tun_with_a_virtio_header_and_offloads_serves_a_dedicated_thread()
    {
        using var ns = new TestNamespace();
        using var tun = TunDevice.Open(ns, "tun0", new TunOptions
        {
            AsyncIo = false,
            VnetHeader = true,
            Offloads = TunOffloads.Checksum | TunOffloads.Tso4,
        });
        Sysctl.Set(ns, "net.ipv6.conf.tun0.disable_ipv6", "1");
        ns.Ip("addr", "add", "10.9.0.1/24", "dev", "tun0");
        ns.Ip("link", "set", "tun0", "up");
        Assert.True(tun.VnetHeader);
        Assert.True(LinkDetails(ns, "tun0").GetProperty("linkinfo").GetProperty("info_data").GetProperty("vnet_hdr").GetBoolean());
        Assert.Throws<InvalidOperationException>(() => tun.Queue.ReadAsync(new byte[2048]).AsTask().GetAwaiter().GetResult());

        using var stop = new StopSignal();
        var self = IPAddress.Parse("10.9.0.1");
        var request = IcmpPacket.EchoRequest(IPAddress.Parse("10.9.0.2"), self, id: 0x4b5c, sequence: 3, "vnet"u8);
        tun.Queue.Write([.. new byte[VirtioNetHeader.Size], .. request]); // a plain packet: an all-zero header

        var buffer = new byte[VirtioNetHeader.Size + 65536];
        byte[]? reply = null;
        while (reply is null)
        {
            if (!tun.Queue.TryRead(buffer, out int n))
            {
                Assert.True(tun.Queue.WaitReadable(stop));
                continue;
            }
            Assert.Equal(VirtioNetHeader.GsoNone, VirtioNetHeader.Read(buffer).GsoType);
            var packet = buffer.AsSpan(VirtioNetHeader.Size, n - VirtioNetHeader.Size);
            if (IcmpPacket.IsEchoReply(packet, 0x4b5c))
                reply = packet.ToArray();
        }
        Assert.Equal(self, new IPAddress(reply.AsSpan(12, 4)));
        Assert.Equal("vnet"u8.ToArray(), reply.AsSpan(IcmpPacket.HeaderLength + 8).ToArray());

        bool? woke = null;
        var waiter = new Thread(() => woke = tun.Queue.WaitReadable(stop));
        waiter.Start();
        stop.Set();
        Assert.True(waiter.Join(TimeSpan.FromSeconds(5)));
        Assert.False(woke);
    }

    [Fact]
    public async Task Batched_TryRead_drains_what_is_queued_without_waiting()
    {
        using var ns = new TestNamespace();
        using var tun = TunDevice.Open(ns, "tun0");
        Sysctl.Set(ns, "net.ipv6.conf.tun0.disable_ipv6", "1");
        ns.Ip("addr", "add", "10.9.0.1/24", "dev", "tun0");
        ns.Ip("link", "set", "tun0", "up");

        var buffers = Enumerable.Range(0, 8).Select(_ => new Memory<byte>(new byte[2048])).ToArray();
        var lengths = new int[buffers.Length];
        Assert.Equal(0, tun.Queue.TryRead(buffers, lengths));

        var self = IPAddress.Parse("10.9.0.1");
        var peer = IPAddress.Parse("10.9.0.2");
        for (ushort seq = 0; seq < 3; seq++)
            await tun.Queue.WriteAsync(IcmpPacket.EchoRequest(peer, self, 0x4b5a, seq, "x"u8));

        // The first reply is awaited (it may still be in flight); the rest are drained in one batch or awaited.
        var seen = new List<ushort>();
        while (seen.Count < 3)
        {
            var reply = await ReadEchoReply(tun.Queue, 0x4b5a);
            seen.Add(BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(IcmpPacket.HeaderLength + 6)));
            int n = tun.Queue.TryRead(buffers, lengths);
            for (int i = 0; i < n; i++)
                if (IcmpPacket.IsEchoReply(buffers[i].Span[..lengths[i]], 0x4b5a))
                    seen.Add(BinaryPrimitives.ReadUInt16BigEndian(buffers[i].Span[(IcmpPacket.HeaderLength + 6)..]));
        }
        Assert.Equal([0, 1, 2], seen.Order().Select(s => (int)s));
    }

    [Fact]
    public void Writes_and_nonblocking_reads_allocate_nothing_once_warm()
    {
        using var ns = new TestNamespace();
        using var tun = TunDevice.Open(ns, "tun0");
        Sysctl.Set(ns, "net.ipv6.conf.tun0.disable_ipv6", "1");
        ns.Ip("addr", "add", "10.9.0.1/24", "dev", "tun0");
        ns.Ip("link", "set", "tun0", "up");
        var request = IcmpPacket.EchoRequest(IPAddress.Parse("10.9.0.2"), IPAddress.Parse("10.9.0.1"), 0x4b5b, 1, "x"u8);
        var buffer = new byte[2048];
        Cycle(); // warm up: JIT, first-use statics

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
            Cycle();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        // A TUN write never has to wait, so its ValueTask is complete on return; reads drain without waiting.
        void Cycle()
        {
            var written = tun.Queue.WriteAsync(request);
            Assert.True(written.IsCompletedSuccessfully);
            written.GetAwaiter().GetResult();
            while (tun.Queue.TryRead(buffer, out _)) { }
        }
    }

    [Fact]
    public async Task A_pending_read_ends_on_cancellation_and_on_dispose()
    {
        using var ns = new TestNamespace();
        var tun = TunDevice.Open(ns, "tun0");
        var buffer = new byte[2048];

        using (var cts = new CancellationTokenSource())
        {
            var read = tun.Queue.ReadAsync(buffer, cts.Token);
            Assert.False(read.IsCompleted); // the link is down: nothing can arrive
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await read);
        }

        var pending = tun.Queue.ReadAsync(buffer);
        Assert.False(pending.IsCompleted);
        tun.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await pending);
        tun.Dispose(); // idempotent
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await tun.Queue.ReadAsync(buffer));
    }

    [Fact]
    public void Many_queues_of_many_devices_share_one_poller_thread()
    {
        using var ns = new TestNamespace();
        var threadName = $"kytpoll{Random.Shared.Next(0x1000000):x6}"; // fits the kernel's 15-byte comm
        using var poller = new FdPoller(threadName);
        var options = new TunOptions { Queues = 2, Poller = poller };
        var devices = new[] { TunDevice.Open(ns, "tun0", options), TunDevice.Open(ns, "tun1", options), TunDevice.Open(ns, "tun2", options) };
        try
        {
            Assert.Equal(6, poller.Registrations);
            Assert.Equal(1, ThreadsNamed(threadName));
        }
        finally
        {
            foreach (var d in devices) d.Dispose();
        }
        Assert.Equal(0, poller.Registrations);
    }

    [Fact]
    public void Attaching_to_a_link_that_is_not_a_tun_fails_naming_the_device_and_namespace()
    {
        using var ns = new TestNamespace();
        var error = Assert.Throws<LinuxException>(() => TunDevice.Open(ns, "lo"));
        Assert.Equal("EINVAL", error.ErrorName);
        Assert.Contains("tun lo", error.Message);
        Assert.Contains($"netns {ns.Name}", error.Message);
    }

    [Fact]
    public void Invalid_names_are_refused_before_touching_the_kernel()
    {
        using var ns = new TestNamespace();
        Assert.Throws<ArgumentException>(() => TunDevice.Open(ns, "a-name-that-is-too-long"));
        Assert.Throws<ArgumentException>(() => TunDevice.Open(ns, "bad/name"));
    }

    private static async Task<byte[]> ReadEchoReply(TunQueue queue, ushort id)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)); // a hang guard, not a timing assertion
        var buffer = new byte[2048];
        while (true)
        {
            int n = await queue.ReadAsync(buffer, timeout.Token);
            if (IcmpPacket.IsEchoReply(buffer.AsSpan(0, n), id))
                return buffer[..n];
        }
    }

    private static JsonElement LinkDetails(TestNamespace ns, string name) =>
        JsonDocument.Parse(ns.Ip("-j", "-d", "link", "show", name)).RootElement[0];

    private static int ThreadsNamed(string comm) =>
        Directory.GetDirectories("/proc/self/task").Count(t =>
            File.Exists(Path.Combine(t, "comm")) && File.ReadAllText(Path.Combine(t, "comm")).TrimEnd('\n') == comm);
}
