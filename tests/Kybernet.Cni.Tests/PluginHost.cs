using System.Diagnostics;
using System.Text.Json.Nodes;
using Kybernet.Cni;
using Kybernet.Linux.Namespaces;

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
        var psi = new ProcessStartInfo(plugin.Contains('/') ? plugin : Path.Combine(BinDirectory, plugin))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["CNI_COMMAND"] = command;
        psi.Environment["CNI_CONTAINERID"] = containerId;
        psi.Environment["CNI_NETNS"] = netns ?? "";
        psi.Environment["CNI_IFNAME"] = ifName;
        psi.Environment["CNI_PATH"] = string.Join(':', ExtraPath.Prepend(BinDirectory));
        if (args is not null)
            psi.Environment["CNI_ARGS"] = args;
        using var process = host.StartProcess(psi);
        try
        {
            process.StandardInput.Write(config.ToJsonString());
            process.StandardInput.Close();
        }
        catch (IOException) { } // it exited without reading: its exit code and output tell why
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return new PluginOutcome(process.ExitCode, stdout.Length == 0 ? null : (JsonObject)JsonNode.Parse(stdout)!, stderr.Result);
    }

    /// <summary>The NativeAOT build itself (a single file that can be copied anywhere); ./test makes it.</summary>
    public static string NativeBinary =>
        Environment.GetEnvironmentVariable("KYBERNET_NATIVE_DIR") is { } dir && File.Exists(Path.Combine(dir, "kybernet-native"))
            ? Path.Combine(dir, "kybernet-native")
            : throw new FileNotFoundException("this test needs the NativeAOT build: run ./test, or publish src/Kybernet.Native and set KYBERNET_NATIVE_DIR");

    public void Dispose() => Directory.Delete(BinDirectory, recursive: true);
}
