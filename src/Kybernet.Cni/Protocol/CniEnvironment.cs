namespace Kybernet.Cni.Protocol;

/// <summary>
/// The CNI_* variables a runtime passes, validated per command as the spec requires:
/// ADD and CHECK need a container, a namespace and an interface name; DEL needs no namespace
/// (it may be gone); VERSION, STATUS and GC need none of them.
/// </summary>
public sealed record CniEnvironment
{
    public required CniOperation Command { get; init; }
    public string ContainerId { get; init; } = "";
    public string? Netns { get; init; }
    public string IfName { get; init; } = "";
    public IReadOnlyDictionary<string, string> Args { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<string> Path { get; init; } = [];

    /// <summary>CNI_ARGS keys every Kybernet plugin understands (the ones Kubernetes runtimes send, and host-local's IP).</summary>
    private static readonly HashSet<string> KnownArgs =
        ["IgnoreUnknown", "K8S_POD_NAMESPACE", "K8S_POD_NAME", "K8S_POD_INFRA_CONTAINER_ID", "K8S_POD_UID", "IP"];

    public static CniEnvironment Parse(IReadOnlyDictionary<string, string> variables)
    {
        string Get(string name) => variables.TryGetValue(name, out var v) ? v : "";

        var commandText = Get("CNI_COMMAND");
        CniOperation command = commandText switch
        {
            "ADD" => CniOperation.Add,
            "DEL" => CniOperation.Del,
            "CHECK" => CniOperation.Check,
            "VERSION" => CniOperation.Version,
            "STATUS" => CniOperation.Status,
            "GC" => CniOperation.Gc,
            "" => throw CniException.InvalidEnvironment("CNI_COMMAND", "is not set (expected ADD, DEL, CHECK, VERSION, STATUS or GC)"),
            _ => throw CniException.InvalidEnvironment("CNI_COMMAND", $"\"{commandText}\" is not a CNI command (expected ADD, DEL, CHECK, VERSION, STATUS or GC)"),
        };

        var environment = new CniEnvironment
        {
            Command = command,
            ContainerId = Get("CNI_CONTAINERID"),
            Netns = Get("CNI_NETNS") is { Length: > 0 } netns ? netns : null,
            IfName = Get("CNI_IFNAME"),
            Args = ParseArgs(Get("CNI_ARGS")),
            Path = Get("CNI_PATH").Split(':', StringSplitOptions.RemoveEmptyEntries),
        };
        environment.Validate();
        return environment;
    }

    private void Validate()
    {
        if (Command is CniOperation.Version)
            return;
        if (Command is CniOperation.Add or CniOperation.Del or CniOperation.Check)
        {
            if (ContainerId.Length == 0)
                throw CniException.InvalidEnvironment("CNI_CONTAINERID", "is not set");
            if (!IsValidContainerId(ContainerId))
                throw CniException.InvalidEnvironment("CNI_CONTAINERID",
                    $"\"{ContainerId}\" is invalid: it must start with a letter or digit, then letters, digits, '_', '.' or '-'");
            if (IfName.Length == 0)
                throw CniException.InvalidEnvironment("CNI_IFNAME", "is not set");
            if (!IsValidInterfaceName(IfName))
                throw CniException.InvalidEnvironment("CNI_IFNAME",
                    $"\"{IfName}\" is not a valid interface name (1-15 bytes, not . or .., no '/', ':' or whitespace)");
            if (Netns is null && Command is not CniOperation.Del)
                throw CniException.InvalidEnvironment("CNI_NETNS", "is not set");
        }
        if (Path.Count == 0 && Command is not CniOperation.Status)
            throw CniException.InvalidEnvironment("CNI_PATH", "is not set");
        if (Args.Keys.Except(KnownArgs).ToList() is { Count: > 0 } unknown && !IgnoreUnknownArgs)
            throw CniException.InvalidEnvironment("CNI_ARGS", $"has unknown keys: {string.Join(", ", unknown)} (set IgnoreUnknown=true to allow them)");
    }

    private bool IgnoreUnknownArgs =>
        Args.TryGetValue("IgnoreUnknown", out var v) && (v.Equals("true", StringComparison.OrdinalIgnoreCase) || v == "1");

    /// <summary>"K=V;K2=V2" into a dictionary; a pair without '=' is an error.</summary>
    public static Dictionary<string, string> ParseArgs(string text)
    {
        var args = new Dictionary<string, string>();
        foreach (var pair in text.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0)
                throw CniException.InvalidEnvironment("CNI_ARGS", $"has \"{pair}\", which is not KEY=VALUE");
            args[pair[..eq]] = pair[(eq + 1)..];
        }
        return args;
    }

    public static bool IsValidContainerId(string id) =>
        id.Length > 0 && char.IsAsciiLetterOrDigit(id[0]) && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');

    public static bool IsValidInterfaceName(string name) =>
        name.Length is > 0 and < 16 && name is not ("." or "..") && !name.Any(c => c is '/' or ':' || char.IsWhiteSpace(c));
}
