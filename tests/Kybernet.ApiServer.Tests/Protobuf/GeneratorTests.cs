namespace Kybernet.ApiServer.Tests.Protobuf;

/// <summary>kubectl's generators (`kubectl create namespace|configmap|secret`) send protobuf.</summary>
public sealed class GeneratorTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private readonly Kubectl _k = server.Kubectl;

    [Fact]
    public void Namespace_configmap_and_secret_generators_work()
    {
        Assert.Contains("namespace/gen created", _k.Ok("create", "namespace", "gen"));
        Assert.Contains("Active", _k.Ok("get", "namespace", "gen"));

        Assert.Contains("configmap/settings created", _k.Ok("create", "configmap", "settings", "-n", "gen", "--from-literal=mode=fast", "--from-literal=level=3"));
        Assert.Equal("fast", _k.Ok("get", "configmap", "settings", "-n", "gen", "-o", "jsonpath={.data.mode}"));

        Assert.Contains("secret/token created", _k.Ok("create", "secret", "generic", "token", "-n", "gen", "--from-literal=key=value"));
        Assert.Equal("dmFsdWU=", _k.Ok("get", "secret", "token", "-n", "gen", "-o", "jsonpath={.data.key}"));
        Assert.Equal("Opaque", _k.Ok("get", "secret", "token", "-n", "gen", "-o", "jsonpath={.type}"));

        var twice = _k.Run("create", "configmap", "settings", "-n", "gen");
        Assert.Contains("configmaps \"settings\" already exists", twice.Stderr); // generators word it "failed to create configmap: ..."
    }

    [Fact]
    public void Generators_for_kinds_not_decoded_get_a_clear_415()
    {
        var result = _k.Run("create", "deployment", "web", "--image=nginx");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("protobuf is understood for Namespace, ConfigMap and Secret only", result.Stderr);
    }
}
