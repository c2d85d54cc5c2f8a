using System.Net;
using k8s.Models;
using Kybernet.Kubelet.Pods.Probes;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Kubelet.Tests.Pods.Probes;

/// <summary>The probe runner: which check runs, named ports, and the event wording upstream uses.</summary>
public sealed class ProberTests : IDisposable
{
    private readonly ProbeNamespace _ns = new();
    private readonly HttpProber _http;

    public ProberTests() => _http = new HttpProber(_ns.Sockets);

    private Prober NewProber(IContainerExec? exec = null) =>
        new(exec ?? new ScriptedExec(ScriptedExec.Exit(0)), _http, new TcpProber(_ns.Sockets), NullLogger.Instance);

    private static V1Container Container(params (string Name, int Port)[] ports) =>
        new() { Name = "app", Image = "busybox", Ports = ports.Select(p => new V1ContainerPort { Name = p.Name, ContainerPort = p.Port }).ToList() };

    [Fact]
    public async Task ExecSuccessAndFailureCarryTheCommandsOutput()
    {
        var exec = new ScriptedExec(ScriptedExec.Exit(0, "ok"), ScriptedExec.Exit(1, "cat: can't open '/tmp/healthy'\n"));
        var prober = NewProber(exec);
        var probe = new V1Probe { Exec = new V1ExecAction { Command = ["cat", "/tmp/healthy"] }, TimeoutSeconds = 3 };

        Assert.Equal(new ProbeOutcome(ProbeResult.Success, null, null), await prober.ProbeAsync(ProbeKind.Liveness, probe, Container(), "c1", "10.0.0.5", CancellationToken.None));
        var failed = await prober.ProbeAsync(ProbeKind.Liveness, probe, Container(), "c1", "10.0.0.5", CancellationToken.None);
        Assert.Equal(new ProbeOutcome(ProbeResult.Failure, "Unhealthy", "Liveness probe failed: cat: can't open '/tmp/healthy'\n"), failed);
        Assert.All(exec.Calls, c => Assert.Equal(("c1", TimeSpan.FromSeconds(3)), (c.ContainerId, c.Timeout)));
        Assert.Equal(["cat", "/tmp/healthy"], exec.Calls.First().Command);
    }

    [Fact]
    public async Task AnExecTimeoutIsAFailure()
    {
        var prober = NewProber(new ScriptedExec(ScriptedExec.Throws(new TimeoutException())));
        var probe = new V1Probe { Exec = new V1ExecAction { Command = ["sleep", "5"] } };
        var outcome = await prober.ProbeAsync(ProbeKind.Readiness, probe, Container(), "c1", null, CancellationToken.None);
        Assert.Equal(new ProbeOutcome(ProbeResult.Failure, "Unhealthy", "Readiness probe failed: command \"sleep 5\" timed out"), outcome);
    }

    [Fact]
    public async Task ARuntimeErrorIsRetriedThenUnknown()
    {
        var exec = new ScriptedExec(ScriptedExec.Throws(new InvalidOperationException("container not found")));
        var outcome = await NewProber(exec).ProbeAsync(ProbeKind.Liveness, new V1Probe { Exec = new V1ExecAction { Command = ["true"] } }, Container(), "c1", null, CancellationToken.None);
        Assert.Equal(ProbeResult.Unknown, outcome.Result);
        Assert.Equal(Prober.MaxRetries, exec.CallCount);
        Assert.StartsWith("Liveness probe errored and resulted in unknown state: ", outcome.EventMessage);
    }

    [Fact]
    public async Task HttpGetUsesThePodIpAndANamedPort()
    {
        using var server = new TestHttpServer(_ns);
        server.Routes["/healthz"] = new TestHttpServer.Response(500);
        var probe = new V1Probe { TimeoutSeconds = 10, HttpGet = new V1HTTPGetAction { Path = "/healthz", Port = "http" } };
        var outcome = await NewProber().ProbeAsync(ProbeKind.Liveness, probe, Container(("http", server.Port)), "c1", "127.0.0.1", CancellationToken.None);
        Assert.Equal(new ProbeOutcome(ProbeResult.Failure, "Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 500"), outcome);
    }

    [Fact]
    public async Task AnUnknownNamedPortErrors()
    {
        var probe = new V1Probe { TimeoutSeconds = 10, HttpGet = new V1HTTPGetAction { Path = "/", Port = "nope" } };
        var outcome = await NewProber().ProbeAsync(ProbeKind.Readiness, probe, Container(("http", 80)), "c1", "127.0.0.1", CancellationToken.None);
        Assert.Equal(new ProbeOutcome(ProbeResult.Unknown, "Unhealthy", "Readiness probe errored and resulted in unknown state: strconv.Atoi: parsing \"nope\": invalid syntax"), outcome);
    }

    [Fact]
    public async Task HttpGetProbesTheHostFieldWhenSet()
    {
        using var server = new TestHttpServer(_ns);
        server.Routes["/"] = new TestHttpServer.Response(200);
        var probe = new V1Probe { TimeoutSeconds = 10, HttpGet = new V1HTTPGetAction { Host = "127.0.0.1", Port = server.Port } };
        var outcome = await NewProber().ProbeAsync(ProbeKind.Startup, probe, Container(), "c1", "10.250.0.9", CancellationToken.None);
        Assert.Equal(ProbeResult.Success, outcome.Result);
    }

    [Fact]
    public async Task TcpSocketRefusedIsAFailureWithTheDialError()
    {
        var port = _ns.ClosedPort();
        var probe = new V1Probe { TimeoutSeconds = 10, TcpSocket = new V1TCPSocketAction { Port = port } };
        var outcome = await NewProber().ProbeAsync(ProbeKind.Liveness, probe, Container(), "c1", "127.0.0.1", CancellationToken.None);
        Assert.Equal(new ProbeOutcome(ProbeResult.Failure, "Unhealthy", $"Liveness probe failed: dial tcp 127.0.0.1:{port}: connect: connection refused"), outcome);
    }

    [Fact]
    public async Task TcpSocketByNamedPortSucceeds()
    {
        using var listener = _ns.Listen();
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var probe = new V1Probe { TimeoutSeconds = 10, TcpSocket = new V1TCPSocketAction { Port = "grpc" } };
        var outcome = await NewProber().ProbeAsync(ProbeKind.Liveness, probe, Container(("grpc", port)), "c1", "127.0.0.1", CancellationToken.None);
        Assert.Equal(ProbeResult.Success, outcome.Result);
    }

    [Fact]
    public void TheRestartIsExplainedAsUpstream()
    {
        Assert.Equal("Container app failed liveness probe, will be restarted", ProbeKind.Liveness.RestartMessage("app"));
        Assert.Equal("Container app failed startup probe, will be restarted", ProbeKind.Startup.RestartMessage("app"));
    }

    [Theory]
    [InlineData("8080", 8080, "")]
    [InlineData("http", 80, "")]
    [InlineData("0", -1, "invalid port number: 0")]
    [InlineData("70000", -1, "invalid port number: 70000")]
    [InlineData("metrics", -1, "strconv.Atoi: parsing \"metrics\": invalid syntax")]
    public void ResolvesPortsAsUpstream(string port, int expected, string error)
    {
        var ok = ContainerPorts.TryResolve(port, Container(("http", 80)), out var number, out var message);
        Assert.Equal(error.Length == 0, ok);
        if (ok)
            Assert.Equal(expected, number);
        Assert.Equal(error, message);
    }

    public void Dispose()
    {
        _http.Dispose();
        _ns.Dispose();
    }
}
