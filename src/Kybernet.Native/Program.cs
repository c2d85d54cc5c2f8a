using System.Collections;
using Kybernet.Cni;
using Kybernet.Cni.Protocol;
using Kybernet.Native.Pause;

namespace Kybernet.Native;

/// <summary>
/// Entry point of every program in the multi-call binary. Invoked through a symlink such as
/// kybernet-bridge, it runs that plugin; `kybernet-native NAME` does the same without a symlink.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        // pause first, before anything else is touched: every page the plugins' code would fault in is resident
        // for the pod's whole life. Under NativeAOT GetCommandLineArgs()[0] is argv[0] (/pause in the image).
        if (Path.GetFileName(Environment.GetCommandLineArgs()[0]) == PauseProgram.Name || (args.Length > 0 && args[0] == PauseProgram.Name))
            return PauseProgram.Run();
        var invokedAs = Path.GetFileName(InvokedAs());
        var name = PluginCatalog.Find(invokedAs) is not null ? invokedAs : args.FirstOrDefault() ?? "";
        if (PluginCatalog.Find(name) is not { } plugin)
        {
            Console.Error.WriteLine($"kybernet-native: unknown program \"{name}\"; this binary provides: {string.Join(", ", PluginCatalog.Names)}, {PauseProgram.Name}");
            return 2;
        }
        var environment = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "");
        CniTrace.Begin($"{name} {environment.GetValueOrDefault("CNI_COMMAND")} {environment.GetValueOrDefault("CNI_CONTAINERID")}");
        // Raw standard streams: the Console class's terminal and encoding set-up costs more than a plugin's I/O.
        using var input = Console.OpenStandardInput();
        var stdin = new StreamReader(input, System.Text.Encoding.UTF8).ReadToEnd();
        using var output = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false));
        var exitCode = CniRunner.Run(plugin, environment, stdin, output);
        CniTrace.Mark("done");
        return exitCode;
    }

    /// <summary>
    /// argv[0] as the kernel got it (the symlink's name). GetCommandLineArgs()[0] gives that under
    /// NativeAOT but the .dll's path under the JIT host, which tests use when there is no AOT build.
    /// </summary>
    private static string InvokedAs()
    {
        var cmdline = File.ReadAllBytes("/proc/self/cmdline");
        int end = Array.IndexOf(cmdline, (byte)0);
        return System.Text.Encoding.UTF8.GetString(cmdline, 0, end < 0 ? cmdline.Length : end);
    }
}
