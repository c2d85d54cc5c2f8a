using System.Text.Json.Nodes;
using Kybernet.Cni.Protocol;

namespace Kybernet.Cni.Tests.Protocol;

public class ProtocolTests
{
    private static Dictionary<string, string> Env(string command, string? containerId = "c1", string? netns = "/run/netns/x", string? ifName = "eth0", string? path = "/opt/cni/bin", string? args = null)
    {
        var env = new Dictionary<string, string> { ["CNI_COMMAND"] = command };
        if (containerId is not null) env["CNI_CONTAINERID"] = containerId;
        if (netns is not null) env["CNI_NETNS"] = netns;
        if (ifName is not null) env["CNI_IFNAME"] = ifName;
        if (path is not null) env["CNI_PATH"] = path;
        if (args is not null) env["CNI_ARGS"] = args;
        return env;
    }

    [Theory]
    [InlineData("", "CNI_COMMAND")]
    [InlineData("FOO", "CNI_COMMAND")]
    public void A_missing_or_unknown_command_is_error_4_naming_the_variable(string command, string named)
    {
        var error = Assert.Throws<CniException>(() => CniEnvironment.Parse(Env(command)));
        Assert.Equal(CniErrorCode.InvalidEnvironment, error.Code);
        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void Each_command_requires_its_own_variables()
    {
        Assert.Contains("CNI_CONTAINERID", Assert.Throws<CniException>(() => CniEnvironment.Parse(Env("ADD", containerId: null))).Message);
        Assert.Contains("CNI_IFNAME", Assert.Throws<CniException>(() => CniEnvironment.Parse(Env("ADD", ifName: null))).Message);
        Assert.Contains("CNI_NETNS", Assert.Throws<CniException>(() => CniEnvironment.Parse(Env("CHECK", netns: null))).Message);
        Assert.Contains("CNI_PATH", Assert.Throws<CniException>(() => CniEnvironment.Parse(Env("ADD", path: null))).Message);
        Assert.Null(CniEnvironment.Parse(Env("DEL", netns: null)).Netns); // DEL may come after the namespace is gone
        Assert.Equal(CniOperation.Version, CniEnvironment.Parse(Env("VERSION", null, null, null, null)).Command);
        Assert.Equal(CniOperation.Status, CniEnvironment.Parse(Env("STATUS", null, null, null, null)).Command);
    }

    [Theory]
    [InlineData("a/b", "eth0", "CNI_CONTAINERID")]
    [InlineData("-c1", "eth0", "CNI_CONTAINERID")]
    [InlineData("c1", "this-is-too-long0", "CNI_IFNAME")]
    [InlineData("c1", "eth 0", "CNI_IFNAME")]
    [InlineData("c1", "..", "CNI_IFNAME")]
    public void Invalid_identifiers_are_error_4(string containerId, string ifName, string named)
    {
        var error = Assert.Throws<CniException>(() => CniEnvironment.Parse(Env("ADD", containerId, ifName: ifName)));
        Assert.Equal(CniErrorCode.InvalidEnvironment, error.Code);
        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void Cni_args_are_parsed_and_unknown_keys_refused_unless_ignored()
    {
        var env = CniEnvironment.Parse(Env("ADD", args: "K8S_POD_NAME=web;K8S_POD_NAMESPACE=default;IP=10.244.1.9"));
        Assert.Equal("web", env.Args["K8S_POD_NAME"]);
        Assert.Contains("FOO", Assert.Throws<CniException>(() => CniEnvironment.Parse(Env("ADD", args: "FOO=1"))).Message);
        Assert.Equal("1", CniEnvironment.Parse(Env("ADD", args: "IgnoreUnknown=true;FOO=1")).Args["FOO"]);
        Assert.Throws<CniException>(() => CniEnvironment.Parse(Env("ADD", args: "novalue")));
    }

    [Theory]
    [InlineData("{not json", CniErrorCode.DecodeFailure, "decode")]
    [InlineData("[1,2]", CniErrorCode.DecodeFailure, "object")]
    [InlineData("""{"cniVersion":"1.0.0","type":"x"}""", CniErrorCode.InvalidConfig, "\"name\"")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n"}""", CniErrorCode.InvalidConfig, "\"type\"")]
    [InlineData("""{"cniVersion":"9.9.9","name":"n","type":"x"}""", CniErrorCode.IncompatibleVersion, "9.9.9")]
    [InlineData("""{"name":"n","type":"x"}""", CniErrorCode.IncompatibleVersion, "0.1.0")]
    [InlineData("""{"cniVersion":"1.0.0","name":"bad name","type":"x"}""", CniErrorCode.InvalidConfig, "\"name\"")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n","type":"x","prevResult":{"ips":[{"address":"10.0.0.1"}]}}""", CniErrorCode.InvalidConfig, "prevResult.ips[0].address")]
    public void Bad_configs_get_the_spec_code_and_name_the_field(string config, int code, string named)
    {
        var error = Assert.Throws<CniException>(() => CniNetworkConfig.Parse(config));
        Assert.Equal(code, error.Code);
        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void Results_before_1_0_carry_an_ip_version_and_later_ones_do_not()
    {
        var result = CniResult.FromJson((JsonObject)JsonNode.Parse("""
            {"interfaces":[{"name":"eth0","mac":"0a:00:00:00:00:01","sandbox":"/run/netns/p"}],
             "ips":[{"interface":0,"address":"10.244.1.5/24","gateway":"10.244.1.1"},{"address":"fd00::5/64"}],
             "routes":[{"dst":"0.0.0.0/0","gw":"10.244.1.1"}],"dns":{"nameservers":["10.96.0.10"]}}
            """)!);

        var old = result.ToJson("0.3.1");
        Assert.Equal("4", old["ips"]![0]!["version"]!.GetValue<string>());
        Assert.Equal("6", old["ips"]![1]!["version"]!.GetValue<string>());
        var current = result.ToJson("1.0.0");
        Assert.Null(current["ips"]![0]!["version"]);
        Assert.Equal("10.244.1.5/24", current["ips"]![0]!["address"]!.GetValue<string>());
        Assert.Equal("10.96.0.10", current["dns"]!["nameservers"]![0]!.GetValue<string>());
        Assert.Equal(result, CniResult.FromJson(current) with { }, new ResultComparer());
    }

    [Fact]
    public void Version_lists_every_supported_version_and_check_needs_0_4()
    {
        var output = new StringWriter();
        Assert.Equal(0, CniRunner.Run(new Kybernet.Cni.Plugins.Loopback.LoopbackPlugin(), Env("VERSION", null, null, null, null), "", output));
        var json = JsonNode.Parse(output.ToString())!;
        Assert.Equal(["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"], json["supportedVersions"]!.AsArray().Select(v => v!.GetValue<string>()));

        output = new StringWriter();
        Assert.Equal(1, CniRunner.Run(new Kybernet.Cni.Plugins.Loopback.LoopbackPlugin(), Env("CHECK"), """{"cniVersion":"0.3.1","name":"n","type":"kybernet-loopback"}""", output));
        var error = JsonNode.Parse(output.ToString())!;
        Assert.Equal(CniErrorCode.IncompatibleVersion, error["code"]!.GetValue<int>());
        Assert.Equal("0.3.1", error["cniVersion"]!.GetValue<string>());
    }

    private sealed class ResultComparer : IEqualityComparer<CniResult>
    {
        public bool Equals(CniResult? a, CniResult? b) => a!.ToJson("1.0.0").ToJsonString() == b!.ToJson("1.0.0").ToJsonString();
        public int GetHashCode(CniResult r) => 0;
    }
}
