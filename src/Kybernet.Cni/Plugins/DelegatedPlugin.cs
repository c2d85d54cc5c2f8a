using System.Text.Json.Nodes;
using Kybernet.Cni.Protocol;
using Kybernet.Linux.Processes;

namespace Kybernet.Cni.Plugins;

/// <summary>
/// Runs another plugin (an IPAM plugin, typically) the way the spec's runtimes do: found by its type
/// in CNI_PATH, given the same CNI_* variables and the same config on stdin. Its error JSON comes back
/// as a <see cref="CniException"/> with its own code, prefixed with the plugin's name.
/// </summary>
public static class DelegatedPlugin
{
    public static CniResult Add(string type, CniRequest request) => StartAdd(type, request).Result();

    public static void Del(string type, CniRequest request) => Start(type, "DEL", request).Wait();

    public static void Check(string type, CniRequest request) => Start(type, "CHECK", request).Wait();

    public static void Status(string type, CniRequest request) => Start(type, "STATUS", request).Wait();

    public static void Gc(string type, CniRequest request) => Start(type, "GC", request).Wait();

    /// <summary>
    /// Starts an ADD and returns at once, so the caller can build the veth while the IPAM plugin
    /// starts up (most of its time): the two are independent until addresses are assigned.
    /// </summary>
    public static RunningPlugin StartAdd(string type, CniRequest request) => Start(type, "ADD", request);

    public static RunningPlugin Start(string type, string command, CniRequest request)
    {
        var env = request.Environment;
        var variables = ChildProcessOptions.CurrentEnvironment();
        variables["CNI_COMMAND"] = command;
        variables["CNI_CONTAINERID"] = env.ContainerId;
        variables["CNI_NETNS"] = env.Netns ?? "";
        variables["CNI_IFNAME"] = env.IfName;
        variables["CNI_ARGS"] = string.Join(';', env.Args.Select(a => $"{a.Key}={a.Value}"));
        variables["CNI_PATH"] = string.Join(':', env.Path);
        // Its stderr is ours: what it prints there (KYBERNET_CNI_TRACE, say) reaches the runtime as our own.
        var child = ChildProcess.Start(new ChildProcessOptions(Find(type, env.Path))
        {
            Environment = variables,
            Stdin = ChildStdio.Input(request.Config.Text),
            Stderr = ChildStdio.Inherit,
        });
        return new RunningPlugin(type, command, child);
    }

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

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "...";
}

/// <summary>A delegated plugin that is running; <see cref="Wait()"/> collects its answer or its error.</summary>
public sealed class RunningPlugin(string type, string command, ChildProcess process)
{
    private JsonObject? _output;
    private bool _done;

    /// <summary>Waits for the plugin; its error JSON becomes a <see cref="CniException"/> with its own code.</summary>
    public JsonObject? Wait() => Wait(Timeout.InfiniteTimeSpan);

    /// <summary>Like <see cref="Wait()"/>; a plugin still running after <paramref name="timeout"/> is killed, and that is an error.</summary>
    public JsonObject? Wait(TimeSpan timeout)
    {
        if (_done)
            return _output;
        var (exitCode, text, _, timedOut) = process.Wait(timeout);
        _done = true;
        if (timedOut)
            throw new CniException(CniErrorCode.TryAgainLater, $"{type} {command}: no answer within {timeout.TotalSeconds:0} s, killed");

        JsonObject? output = null;
        if (!string.IsNullOrWhiteSpace(text))
        {
            try { output = JsonNode.Parse(text) as JsonObject; }
            catch (System.Text.Json.JsonException) { output = null; }
            if (output is null)
                throw new CniException(CniErrorCode.DecodeFailure, $"{type} {command} printed something that is not a JSON object: {(text.Length <= 200 ? text : text[..200] + "...")}");
        }
        if (exitCode != 0)
        {
            int code = output?["code"] is JsonValue c && c.TryGetValue(out int n) ? n : CniErrorCode.KernelFailure;
            string message = output?["msg"] is JsonValue m && m.TryGetValue(out string? s) ? s : $"exited with code {exitCode}";
            string? details = output?["details"] is JsonValue d && d.TryGetValue(out string? ds) ? ds : null;
            throw new CniException(code, $"{type}: {message}", details);
        }
        return _output = output;
    }

    /// <summary>The ADD result of an IPAM plugin.</summary>
    public CniResult Result() =>
        CniResult.FromJson(Wait() ?? throw new CniException(CniErrorCode.DecodeFailure, $"{type} printed no result for {command}"), $"{type} result.");
}
