using System.Text.Json.Nodes;
using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Processes;

namespace Kybernet.Cni.Tests;

/// <summary>What a plugin process answered: its exit code and the JSON it printed (null if it printed nothing).</summary>
public sealed record PluginOutcome(int ExitCode, JsonObject? Output, string Stderr)
{
    public bool Succeeded => ExitCode == 0;
    public int? ErrorCode => Output?["code"]?.GetValue<int>();
    public string? ErrorMessage => Output?["msg"]?.GetValue<string>();
}

/// <summary>
/// Runs Kybernet's plugins as real processes, the way a runtime does: a CNI bin directory of symlinks
/// to the multi-call binary, CNI_* variables, the config on stdin, and the process started inside the
/// test's "host" namespace (so bridges and rules land there, never in the real host namespace).
/// The binary is the NativeAOT build when ./test made one (KYBERNET_NATIVE_DIR), else the JIT apphost.
/// </summary>
public sealed class PluginHost : IDisposable
{
    public PluginHost()
    {
        BinDirectory = Path.Combine(Path.GetTempPath(), $"kyt-cnibin-{Guid.NewGuid():N}");
        Directory.CreateDirectory(BinDirectory);
        foreach (var name in PluginCatalog.Names)
            File.CreateSymbolicLink(Path.Combine(BinDirectory, name), Binary);
    }

    public string BinDirectory { get; }

    /// <summary>Extra directories searched after ours (e.g. /usr/lib/cni for the reference plugins).</summary>
    public List<string> ExtraPath { get; } = [];

    public static string Binary
    {
        get
        {
            var native = Environment.GetEnvironmentVariable("KYBERNET_NATIVE_DIR");
            var candidate = native is not null ? Path.Combine(native, "kybernet-native") : Path.Combine(AppContext.BaseDirectory, "kybernet-native");
            return File.Exists(candidate) ? candidate : throw new FileNotFoundException("the kybernet-native binary is missing", candidate);
        }
    }

    public PluginOutcome Invoke(NetworkNamespace host, string plugin, string command, JsonObject config,
        string containerId = "", string? netns = null, string ifName = "eth0", string? args = null)
    {
        var environment = ChildProcessOptions.CurrentEnvironment();
        environment["CNI_COMMAND"] = command;
        environment["CNI_CONTAINERID"] = containerId;
        environment["CNI_NETNS"] = netns ?? "";
        environment["CNI_IFNAME"] = ifName;
        environment["CNI_PATH"] = string.Join(':', ExtraPath.Prepend(BinDirectory));
        if (args is not null)
            environment["CNI_ARGS"] = args;
        var options = new ChildProcessOptions(plugin.Contains('/') ? plugin : Path.Combine(BinDirectory, plugin))
        {
            Environment = environment,
            Stdin = ChildStdio.Input(config.ToJsonString()),
        };
        var result = ChildProcess.Run(options, TimeSpan.FromMinutes(2), inside: host);
        Assert.False(result.TimedOut, $"{plugin} {command} gave no answer in 2 minutes");
        return new PluginOutcome(result.ExitCode, result.Stdout.Length == 0 ? null : (JsonObject)JsonNode.Parse(result.Stdout)!, result.Stderr);
    }

    /// <summary>The NativeAOT build itself (a single file that can be copied anywhere); ./test makes it.</summary>
    public static string NativeBinary =>
        Environment.GetEnvironmentVariable("KYBERNET_NATIVE_DIR") is { } dir && File.Exists(Path.Combine(dir, "kybernet-native"))
            ? Path.Combine(dir, "kybernet-native")
            : throw new FileNotFoundException("this test needs the NativeAOT build: run ./test, or publish src/Kybernet.Native and set KYBERNET_NATIVE_DIR");

    public void Dispose() => Directory.Delete(BinDirectory, recursive: true);
}
