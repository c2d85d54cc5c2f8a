namespace Kybernet.ApiServer.Security;

/// <summary>
/// Who made a request, as authentication found it (upstream's user.Info): a name, a uid when the
/// identity has one, the groups RBAC binds to, and extra attributes (a bound token's pod).
/// </summary>
public sealed record UserInfo(string Name, IReadOnlyList<string> Groups, string? Uid = null, IReadOnlyDictionary<string, IReadOnlyList<string>>? Extra = null)
{
    public const string Masters = "system:masters";
    public const string Authenticated = "system:authenticated";
    public const string Unauthenticated = "system:unauthenticated";
    public const string Nodes = "system:nodes";
    public const string ServiceAccounts = "system:serviceaccounts";
    public const string AdminName = "kubernetes-admin";
    public const string ControllerManagerName = "system:kube-controller-manager";
    public const string NodePrefix = "system:node:";
    public const string ServiceAccountPrefix = "system:serviceaccount:";

    public IReadOnlyDictionary<string, IReadOnlyList<string>> ExtraOrEmpty => Extra ?? new Dictionary<string, IReadOnlyList<string>>();

    public bool IsMaster => Groups.Contains(Masters);

    /// <summary>The cluster's admin: what the admin token (DATA_DIR/pki/admin.token) stands for.</summary>
    public static UserInfo Admin { get; } = new(AdminName, [Masters, Authenticated]);

    public static UserInfo ControllerManager { get; } = new(ControllerManagerName, [Authenticated]);

    public static UserInfo Node(string name) => new(NodePrefix + name, [Nodes, Authenticated]);

    public static string ServiceAccountUserName(string ns, string name) => $"{ServiceAccountPrefix}{ns}:{name}";

    /// <summary>A ServiceAccount's groups: all service accounts, those of its namespace, and every authenticated user.</summary>
    public static IReadOnlyList<string> ServiceAccountGroups(string ns) => [ServiceAccounts, $"{ServiceAccounts}:{ns}", Authenticated];

    /// <summary>"system:serviceaccount:NS:NAME" split into its namespace and name; null for any other user name.</summary>
    public static (string Namespace, string Name)? ParseServiceAccount(string userName)
    {
        if (!userName.StartsWith(ServiceAccountPrefix, StringComparison.Ordinal))
            return null;
        var parts = userName[ServiceAccountPrefix.Length..].Split(':');
        return parts is [{ Length: > 0 } ns, { Length: > 0 } name] ? (ns, name) : null;
    }
}
