using Kybernet.Linux.Processes;

namespace Kybernet.Kubelet.Tests.Agnhost;

/// <summary>The small subcommands and the dispatcher: pause, the DNS helpers, usage, unknown commands and flags.</summary>
public sealed class CommandLineTests
{
    [Theory]
    [InlineData(Signals.SIGTERM, 2)]
    [InlineData(2 /* SIGINT */, 1)]
    public void PauseWaitsForTheSignalAndExitsWithUpstreamsCode(int signal, int expectedExit)
    {
        using var ns = new AgnhostNamespace();
        using var pause = AgnhostProcess.Start(ns.Namespace, ["pause"]);
        pause.WaitUntil(() => pause.Log.Contains("Paused"), "paused");
        pause.Signal(signal);
        Assert.Equal(expectedExit, pause.WaitForExit(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public void DnsHelpersPrintWhatTheFilesSay()
    {
        using var ns = new AgnhostNamespace();
        var hosts = AgnhostProcess.Run(ns.Namespace, "etc-hosts");
        Assert.Equal(0, hosts.ExitCode);
        Assert.Equal(File.ReadAllText("/etc/hosts") + "\n", hosts.Stdout);

        var servers = AgnhostProcess.Run(ns.Namespace, "dns-server-list");
        var expected = File.ReadAllLines("/etc/resolv.conf")
            .Select(l => l.Split(' ', '\t', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 1 && f[0] == "nameserver").Select(f => f[1]).ToList();
        if (expected.Count > 0)
            Assert.Equal((0, string.Join(',', expected) + "\n"), (servers.ExitCode, servers.Stdout));
        else
            Assert.Equal(2, servers.ExitCode);

        var suffixes = AgnhostProcess.Run(ns.Namespace, "dns-suffix");
        var search = File.ReadAllLines("/etc/resolv.conf").Select(l => l.Split(' ', '\t', StringSplitOptions.RemoveEmptyEntries))
            .FirstOrDefault(f => f.Length > 0 && f[0] == "search");
        if (search is not null)
            Assert.Equal((0, string.Join(',', search.Skip(1)) + "\n"), (suffixes.ExitCode, suffixes.Stdout));
        else
            Assert.Equal((2, "Could not find DNS search list in /etc/resolv.conf\n"), (suffixes.ExitCode, suffixes.Stderr));
    }

    [Fact]
    public void EntrypointTesterPrintsItsWholeCommandLine()
    {
        using var ns = new AgnhostNamespace();
        var result = AgnhostProcess.Run(ns.Namespace, "entrypoint-tester", "override", "--arguments");
        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"^\[\S*agnhost(\.dll)? entrypoint-tester override --arguments\]\n$", result.Stdout);
    }

    [Fact]
    public void HelpListsEverySubcommand()
    {
        using var ns = new AgnhostNamespace();
        var help = AgnhostProcess.Run(ns.Namespace, "--help");
        Assert.Equal(0, help.ExitCode);
        foreach (var command in new[] { "netexec", "serve-hostname", "pause", "porter", "connect", "dns-suffix", "dns-server-list", "etc-hosts", "liveness", "entrypoint-tester" })
            Assert.Contains($"  {command} ", help.Stdout);
    }

    [Fact]
    public void AnUnknownSubcommandOrFlagFails()
    {
        using var ns = new AgnhostNamespace();
        var unknown = AgnhostProcess.Run(ns.Namespace, "frobnicate");
        Assert.Equal(1, unknown.ExitCode);
        Assert.StartsWith("Error: unknown command \"frobnicate\" for \"agnhost\"", unknown.Stderr);
        var badFlag = AgnhostProcess.Run(ns.Namespace, "netexec", "--no-such-flag=1");
        Assert.Equal((1, "Error: unknown flag: --no-such-flag=1\n"), (badFlag.ExitCode, badFlag.Stderr));
    }
}
