using System.Diagnostics;
using System.Text.Json.Nodes;
using Kybernet.Cni.Protocol;

namespace Kybernet.Cni.Plugins;

/// <summary>
/// Runs another plugin (an IPAM plugin, typically) the way the spec's runtimes do: found by its type
/// in CNI_PATH, given the same CNI_* variables and the same config on stdin. Its error JSON comes back
/// as a <see cref="CniException"/> with its own code, prefixed with the plugin's name.
/// </summary>
public static class DelegatedPlugin
{
    public static CniResult Add(string type, CniRequest request) =>
        CniResult.FromJson(Run(type, "ADD", request) ?? throw new CniException(CniErrorCode.DecodeFailure, $"{type} printed no result for ADD"), $"{type} result.");

    public static void Del(string type, CniRequest request) => Run(type, "DEL", request);

    public static void Check(string type, CniRequest request) => Run(type, "CHECK", request);

    public static void Status(string type, CniRequest request) => Run(type, "STATUS", request);

    public static void Gc(string type, CniRequest request) => Run(type, "GC", request);

    /// <summary>The executable for <paramref name="type"/>: the first match in CNI_PATH.</summary>
    public static string Find(string type, IReadOnlyList<string> path)
    {
        if (type.Contains('/') || type is "." or "..")
            throw CniException.InvalidConfig("ipam.type", $"\"{type}\" must be a plugin name, not a path");
        foreach (var dir in path)
        {
            var candidate = Path.Combine(dir, type);
            if (File.Exists(candidate))
                return candidate;
        }
        throw new CniException(CniErrorCode.InvalidConfig, $"failed to find plugin \"{type}\" in path [{string.Join(" ", path)}]");
    }

    private static JsonObject? Run(string type, string command, CniRequest request)
    {
        var env = request.Environment;
        var psi = new ProcessStartInfo(Find(type, env.Path))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
        };
        psi.Environment["CNI_COMMAND"] = command;
        psi.Environment["CNI_CONTAINERID"] = env.ContainerId;
        psi.Environment["CNI_NETNS"] = env.Netns ?? "";
        psi.Environment["CNI_IFNAME"] = env.IfName;
        psi.Environment["CNI_ARGS"] = string.Join(';', env.Args.Select(a => $"{a.Key}={a.Value}"));
        psi.Environment["CNI_PATH"] = string.Join(':', env.Path);

        using var process = Process.Start(psi) ?? throw new CniException(CniErrorCode.IoFailure, $"could not start {type}");
        process.StandardInput.Write(request.Config.Text);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();

        JsonObject? output = null;
        if (!string.IsNullOrWhiteSpace(stdout))
        {
            try { output = JsonNode.Parse(stdout) as JsonObject; }
            catch (System.Text.Json.JsonException) { output = null; }
            if (output is null)
                throw new CniException(CniErrorCode.DecodeFailure, $"{type} {command} printed something that is not a JSON object: {Truncate(stdout)}");
        }
        if (process.ExitCode != 0)
        {
            int code = output?["code"] is JsonValue c && c.TryGetValue(out int n) ? n : CniErrorCode.KernelFailure;
            string message = output?["msg"] is JsonValue m && m.TryGetValue(out string? s) ? s : $"exited with code {process.ExitCode}";
            string? details = output?["details"] is JsonValue d && d.TryGetValue(out string? ds) ? ds : null;
            throw new CniException(code, $"{type}: {message}", details);
        }
        return output;
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "...";
}
