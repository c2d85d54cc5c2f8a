using System.CommandLine;
using System.Text.Json;
using Kybernet.Cni;

namespace Kybernet.Cli.Commands;

/// <summary>`kybernet cni install DIR` and `kybernet cni conflist --subnet CIDR`.</summary>
internal static class CniCommand
{
    public static Command Create()
    {
        var cni = new Command("cni", "Kybernet's CNI plugins (bridge, host-local, loopback, portmap)");
        cni.Subcommands.Add(Install());
        cni.Subcommands.Add(Conflist());
        return cni;
    }

    private static Command Install()
    {
        var directory = new Argument<string>("dir") { Description = "Where runtimes look for plugins, e.g. /opt/cni/bin" };
        var command = new Command("install", "Install the plugin binary and one symlink per plugin into DIR") { directory };
        command.SetAction(parsed => CommandErrors.Run(() =>
        {
            var binary = Path.Combine(AppContext.BaseDirectory, CniInstaller.BinaryName);
            foreach (var path in CniInstaller.Install(binary, parsed.GetValue(directory)!))
                Console.WriteLine(path);
            return 0;
        }));
        return command;
    }

    private static Command Conflist()
    {
        var subnet = new Option<string>("--subnet") { Description = "This node's pod subnet, e.g. 10.244.1.0/24", Required = true };
        var name = new Option<string>("--name") { Description = "Network name", DefaultValueFactory = _ => "kybernet" };
        var bridge = new Option<string>("--bridge") { Description = "Bridge name", DefaultValueFactory = _ => "cni0" };
        var mtu = new Option<int?>("--mtu") { Description = "MTU for the bridge and pods (underlay minus encapsulation)" };
        var ipMasq = new Option<bool>("--ip-masq") { Description = "Masquerade pod traffic leaving the subnet" };
        var command = new Command("conflist", "Print a conflist for this node's pod subnet") { subnet, name, bridge, mtu, ipMasq };
        command.SetAction(parsed => CommandErrors.Run(() =>
        {
            var conflist = DefaultConflist.Build(parsed.GetValue(subnet)!, parsed.GetValue(name)!, parsed.GetValue(bridge)!, parsed.GetValue(mtu), parsed.GetValue(ipMasq));
            Console.WriteLine(conflist.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }));
        return command;
    }
}
