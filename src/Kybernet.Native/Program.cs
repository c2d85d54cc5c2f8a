using System.Collections;
using Kybernet.Cni;
using Kybernet.Cni.Protocol;

namespace Kybernet.Native;

/// <summary>
/// Entry point of every program in the multi-call binary. Invoked through a symlink such as
/// kybernet-bridge, it runs that plugin; `kybernet-native NAME` does the same without a symlink.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var invokedAs = Path.GetFileName(Environment.GetCommandLineArgs()[0]);
        var name = PluginCatalog.Find(invokedAs) is not null ? invokedAs : args.FirstOrDefault() ?? "";
        if (PluginCatalog.Find(name) is not { } plugin)
        {
            Console.Error.WriteLine($"kybernet-native: unknown program \"{name}\"; this binary provides: {string.Join(", ", PluginCatalog.Names)}");
            return 2;
        }
        var environment = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "");
        var stdin = Console.IsInputRedirected ? Console.In.ReadToEnd() : "";
        return CniRunner.Run(plugin, environment, stdin, Console.Out);
    }
}
