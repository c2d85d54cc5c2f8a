using System.Text.Json.Nodes;
using Kybernet.Cni.Plugins;
using Kybernet.Cni.Protocol;
using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Processes;

namespace Kybernet.Cni.Runtime;

/// <summary>
/// What a container runtime does with a conflist (the spec's "network configuration list" section,
/// libcni's AddNetworkList/DelNetworkList): ADD runs the plugins in order, each given the previous
/// one's result as prevResult; DEL runs them in reverse, given the result ADD returned. Plugins are
/// started inside <see cref="PodAttachment.HostNamespace"/> (a node), which is where the bridge and the
/// host ends of veths live.
/// </summary>
public static class CniRuntime
{
    /// <summary>
    /// How long one plugin may take before it is killed and the step fails: plugins answer in milliseconds, and a
    /// hung one would otherwise hold its caller (and the lab's lock) forever. kubelet gives a whole sandbox minutes.
    /// </summary>
    public static readonly TimeSpan PluginTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Attaches the pod; returns the last plugin's result. A failed ADD is undone with DEL (the plugins that ran, in
    /// reverse) before the error is rethrown; <see cref="CniRollbackFailedException"/> if undoing it failed too.
    /// </summary>
    public static JsonObject AddNetworkList(JsonObject conflist, PodAttachment attachment)
    {
        var (version, name, plugins) = Parse(conflist);
        JsonObject? result = null;
        int step = 0;
        try
        {
            for (; step < plugins.Count; step++)
                result = Run("ADD", PluginConfig(plugins[step], version, name, result), attachment) ?? result;
        }
        catch (CniException add)
        {
            // The spec asks the runtime to clean up after a failed ADD: DEL for every plugin that ran, the failed one
            // included (it may have done part of its work). That one's own DEL may fail as its ADD did; the others'
            // must not, or something is left that a later DEL has to remove, and the caller must know.
            var failures = Del(plugins.Take(step + 1).ToList(), version, name, attachment, result);
            if (failures.FirstOrDefault(f => f.Index != step) is { Error: { } del })
                throw new CniRollbackFailedException(add, del);
            throw;
        }
        return result ?? throw new CniException(CniErrorCode.DecodeFailure, $"network {name}: the plugins returned no result");
    }

    /// <summary>
    /// Detaches the pod (plugins in reverse order). Plugins treat repeated or partial DELs as success. Every
    /// plugin gets its DEL even when an earlier one fails, so one broken plugin leaks nothing of the others;
    /// the first failure is thrown afterwards.
    /// </summary>
    public static void DelNetworkList(JsonObject conflist, PodAttachment attachment, JsonObject? addResult)
    {
        var (version, name, plugins) = Parse(conflist);
        if (Del(plugins, version, name, attachment, addResult).FirstOrDefault() is { Error: { } first })
            throw first;
    }

    /// <summary>DEL for <paramref name="plugins"/> in reverse, each whatever the others did; the failures, by plugin index.</summary>
    private static List<(int Index, CniException Error)> Del(IReadOnlyList<JsonObject> plugins, string version, string name, PodAttachment attachment, JsonObject? prevResult)
    {
        var failures = new List<(int, CniException)>();
        for (int i = plugins.Count - 1; i >= 0; i--)
        {
            try { Run("DEL", PluginConfig(plugins[i], version, name, prevResult), attachment); }
            catch (CniException e) { failures.Add((i, e)); }
        }
        return failures;
    }

    private static (string Version, string Name, IReadOnlyList<JsonObject> Plugins) Parse(JsonObject conflist)
    {
        string version = conflist["cniVersion"]?.GetValue<string>() ?? throw CniException.InvalidConfig("cniVersion", "is required");
        string name = conflist["name"]?.GetValue<string>() ?? throw CniException.InvalidConfig("name", "is required");
        if (conflist["plugins"] is not JsonArray { Count: > 0 } array)
            throw CniException.InvalidConfig("plugins", "must list at least one plugin");
        var plugins = array.Select((p, i) => p as JsonObject ?? throw CniException.InvalidConfig($"plugins[{i}]", "must be an object")).ToList();
        return (version, name, plugins);
    }

    /// <summary>One plugin's stdin: its own object, plus the list's name and version and the previous result.</summary>
    private static JsonObject PluginConfig(JsonObject plugin, string version, string name, JsonObject? prevResult)
    {
        var config = (JsonObject)plugin.DeepClone();
        config["cniVersion"] = version;
        config["name"] = name;
        if (prevResult is not null)
            config["prevResult"] = prevResult.DeepClone();
        return config;
    }

    private static JsonObject? Run(string command, JsonObject config, PodAttachment attachment)
    {
        string type = config["type"] is JsonValue t && t.TryGetValue(out string? name) ? name : throw CniException.InvalidConfig("type", "every plugin needs a type (a string)");
        var path = attachment.PluginPath;
        var variables = new Dictionary<string, string>
        {
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin",
            ["CNI_COMMAND"] = command,
            ["CNI_CONTAINERID"] = attachment.ContainerId,
            ["CNI_NETNS"] = attachment.NetnsPath,
            ["CNI_IFNAME"] = attachment.IfName,
            ["CNI_PATH"] = string.Join(':', path),
        };
        if (Environment.GetEnvironmentVariable("KYBERNET_CNI_TRACE") is { } trace)
            variables["KYBERNET_CNI_TRACE"] = trace;
        var executable = DelegatedPlugin.Find(type, path);
        try
        {
            // Spawned from the namespace's thread: the plugin is born in the node's namespace, in a process group
            // of its own, so a Ctrl-C meant for the runtime does not cut a plugin off half-way. Waited for here.
            var child = ChildProcess.Start(new ChildProcessOptions(executable)
            {
                Environment = variables,
                Stdin = ChildStdio.Input(config.ToJsonString()),
                Stderr = ChildStdio.Inherit,
                Grouping = ChildGrouping.OwnProcessGroup,
            }, inside: attachment.HostNamespace);
            return new RunningPlugin(type, command, child).Wait(PluginTimeout);
        }
        catch (Exception e) when (e is not CniException)
        {
            // A plugin that cannot be started or waited for is a failed step like any other, so rollback and DEL go on.
            throw new CniException(CniErrorCode.KernelFailure, $"{type} {command}: {e.Message}");
        }
    }
}

/// <summary>An ADD failed, and the DEL that should have undone it failed too: the attachment is half made, and needs a DEL later.</summary>
public sealed class CniRollbackFailedException(CniException add, CniException del)
    : CniException(add.Code, $"{add.Message} (and undoing it failed: {del.Message})", add.Details)
{
    public CniException Rollback { get; } = del;
}

/// <summary>One pod's interface as the runtime names it: the CNI_* values, and the namespace the plugins run in.</summary>
public sealed record PodAttachment(NetworkNamespace HostNamespace, string ContainerId, string NetnsPath, string IfName, IReadOnlyList<string> PluginPath);
