using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;

namespace Kybernet.ApiServer.Tables;

/// <summary>One column: its definition and how to compute its cell from an object.</summary>
public sealed record Column(string Name, string Type, string Description, Func<JsonObject, JsonNode?> Cell, int Priority = 0, string Format = "");

/// <summary>Each kind's columns, as upstream's printers define them.</summary>
public static class Columns
{
    private static readonly Column Name = new("Name", "string", "Name must be unique within a namespace.", o => Str(o, "metadata", "name"), Format: "name");
    private static readonly Column Age = new("Age", "string", "CreationTimestamp is a timestamp representing the server time when this object was created.",
        o => HumanDuration.Since(Str(o, "metadata", "creationTimestamp")));

    public static IReadOnlyList<Column> For(string kind) => kind switch
    {
        "Pod" =>
        [
            Name,
            new("Ready", "string", "The aggregate readiness state of this pod for accepting traffic.", PodReady),
            new("Status", "string", "The aggregate status of the containers in this pod.", PodStatus),
            new("Restarts", "string", "The number of times the containers in this pod have been restarted.", PodRestarts),
            Age,
            new("IP", "string", "IP address allocated to the pod.", o => Str(o, "status", "podIP") ?? "<none>", 1),
            new("Node", "string", "Name of the Node that this pod runs on.", o => Str(o, "spec", "nodeName") ?? "<none>", 1),
            new("Nominated Node", "string", "Name of the Node the pod is nominated to.", o => Str(o, "status", "nominatedNodeName") ?? "<none>", 1),
            new("Readiness Gates", "string", "Pod readiness gates.", o => "<none>", 1),
        ],
        "Deployment" =>
        [
            Name,
            new("Ready", "string", "Number of the pod with ready state", o => $"{Int(o, "status", "readyReplicas")}/{Int(o, "spec", "replicas")}"),
            new("Up-to-date", "integer", "Total number of non-terminated pods targeted by this deployment that have the desired template spec.", o => Int(o, "status", "updatedReplicas")),
            new("Available", "integer", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.", o => Int(o, "status", "availableReplicas")),
            Age,
            .. TemplateColumns(),
        ],
        "ReplicaSet" or "ReplicationController" =>
        [
            Name,
            new("Desired", "integer", "Number of desired pods.", o => Int(o, "spec", "replicas")),
            new("Current", "integer", "Number of actual replicas.", o => Int(o, "status", "replicas")),
            new("Ready", "integer", "The number of ready replicas for this replica set.", o => Int(o, "status", "readyReplicas")),
            Age,
            .. TemplateColumns(),
        ],
        "Service" =>
        [
            Name,
            new("Type", "string", "The type of service.", o => Str(o, "spec", "type")),
            new("Cluster-IP", "string", "The cluster IP of the service.", o => Str(o, "spec", "clusterIP") ?? "<none>"),
            new("External-IP", "string", "The external IP of the service.", ServiceExternalIp),
            new("Port(s)", "string", "The ports of the service.", ServicePorts),
            Age,
            new("Selector", "string", "Pods selected by the service.", o => Map(o["spec"]?["selector"]), 1),
        ],
        "Node" =>
        [
            Name,
            new("Status", "string", "The status of the node", NodeStatus),
            new("Roles", "string", "The roles of the node", NodeRoles),
            Age,
            new("Version", "string", "Kubelet Version reported by the node.", o => Str(o, "status", "nodeInfo", "kubeletVersion") ?? ""),
            new("Internal-IP", "string", "List of internal IPs.", o => NodeAddress(o, "InternalIP"), 1),
            new("External-IP", "string", "List of external IPs.", o => NodeAddress(o, "ExternalIP"), 1),
            new("OS-Image", "string", "OS image reported by the node.", o => Str(o, "status", "nodeInfo", "osImage") ?? "<unknown>", 1),
            new("Kernel-Version", "string", "Kernel version reported by the node.", o => Str(o, "status", "nodeInfo", "kernelVersion") ?? "<unknown>", 1),
            new("Container-Runtime", "string", "Container runtime reported by the node.", o => Str(o, "status", "nodeInfo", "containerRuntimeVersion") ?? "<unknown>", 1),
        ],
        "Namespace" => [Name, new("Status", "string", "The status of the namespace", o => Str(o, "status", "phase") ?? "Active"), Age],
        "Endpoints" => [Name, new("Endpoints", "string", "Endpoints of the service", EndpointsList), Age],
        "EndpointSlice" =>
        [
            Name,
            new("AddressType", "string", "The IP protocol for this slice", o => Str(o, "addressType")),
            new("Ports", "string", "The ports of the slice", SlicePorts),
            new("Endpoints", "string", "First few addresses of the slice", SliceEndpoints),
            Age,
        ],
        "ConfigMap" => [Name, new("Data", "string", "Number of data entries.", o => Size(o["data"]) + Size(o["binaryData"])), Age],
        "Secret" => [Name, new("Type", "string", "The type of the secret", o => Str(o, "type")), new("Data", "string", "Number of data entries.", o => Count(o["data"])), Age],
        "Role" or "ClusterRole" => [Name, new("Created At", "date", "CreationTimestamp is a timestamp representing the server time when this object was created.", o => Str(o, "metadata", "creationTimestamp"))],
        "RoleBinding" or "ClusterRoleBinding" =>
        [
            Name,
            new("Role", "string", "RoleRef is the reference to the role.", o => $"{Str(o, "roleRef", "kind")}/{Str(o, "roleRef", "name")}"),
            Age,
            new("Users", "string", "Users in the binding.", o => Subjects(o, "User"), 1),
            new("Groups", "string", "Groups in the binding.", o => Subjects(o, "Group"), 1),
            new("ServiceAccounts", "string", "ServiceAccounts in the binding.", o => Subjects(o, "ServiceAccount"), 1),
        ],
        "ServiceAccount" => [Name, new("Secrets", "string", "Number of secrets.", o => Count(o["secrets"])), Age],
        "Event" =>
        [
            new("Last Seen", "string", "Time since the event was last seen.", o => HumanDuration.Since(Str(o, "lastTimestamp") ?? Str(o, "deprecatedLastTimestamp") ?? Str(o, "eventTime") ?? Str(o, "metadata", "creationTimestamp"))),
            new("Type", "string", "Type of this event.", o => Str(o, "type")),
            new("Reason", "string", "Reason is why the action was taken.", o => Str(o, "reason")),
            new("Object", "string", "The object that this event is about.", o => $"{(Str(o, "involvedObject", "kind") ?? Str(o, "regarding", "kind"))?.ToLowerInvariant()}/{Str(o, "involvedObject", "name") ?? Str(o, "regarding", "name")}"),
            new("Message", "string", "A human-readable description of the status of this operation.", o => Str(o, "message") ?? Str(o, "note")),
        ],
        "Lease" => [Name, new("Holder", "string", "The holder of the lease", o => Str(o, "spec", "holderIdentity") ?? ""), Age],
        "NetworkPolicy" => [Name, new("Pod-Selector", "string", "The pods the policy applies to.", o => Map(o["spec"]?["podSelector"]?["matchLabels"])), Age],
        "Job" =>
        [
            Name,
            new("Status", "string", "Status of the job.", JobStatus),
            new("Completions", "string", "The completed job replicas.", JobCompletions),
            new("Duration", "string", "Time required to complete the job.", JobDuration),
            Age,
            .. TemplateColumns(),
        ],
        "CronJob" =>
        [
            Name,
            new("Schedule", "string", "The schedule for running the job.", o => Str(o, "spec", "schedule")),
            new("Timezone", "string", "The time zone of the schedule.", o => Str(o, "spec", "timeZone") ?? "<none>"),
            new("Suspend", "boolean", "Whether the cron job is suspended.", o => o["spec"]?["suspend"] is JsonValue v && v.TryGetValue(out bool suspended) && suspended ? "True" : "False"),
            new("Active", "integer", "Number of currently running jobs.", o => Size(o["status"]?["active"])),
            new("Last Schedule", "date", "When the job was last scheduled.", o => Str(o, "status", "lastScheduleTime") is { } t ? HumanDuration.Since(t) : "<none>"),
            Age,
            new("Containers", "string", "Names of each container in the template.", o => string.Join(',', JobTemplateContainers(o).Select(c => Str(c, "name")))!, 1),
            new("Images", "string", "Images referenced by each container in the template.", o => string.Join(',', JobTemplateContainers(o).Select(c => Str(c, "image")))!, 1),
            new("Selector", "string", "Label selector for pods.", o => Map(o["spec"]?["jobTemplate"]?["spec"]?["selector"]?["matchLabels"]), 1),
        ],
        "DaemonSet" =>
        [
            Name,
            new("Desired", "integer", "The number of nodes that should be running the daemon pod.", o => Int(o, "status", "desiredNumberScheduled")),
            new("Current", "integer", "The number of nodes running at least one daemon pod.", o => Int(o, "status", "currentNumberScheduled")),
            new("Ready", "integer", "The number of nodes with a ready daemon pod.", o => Int(o, "status", "numberReady")),
            new("Up-to-date", "integer", "The number of nodes running the updated daemon pod.", o => Int(o, "status", "updatedNumberScheduled")),
            new("Available", "integer", "The number of nodes with an available daemon pod.", o => Int(o, "status", "numberAvailable")),
            new("Node Selector", "string", "The node selector of the daemon pods.", o => Map(o["spec"]?["template"]?["spec"]?["nodeSelector"])),
            Age,
            .. TemplateColumns(),
        ],
        "StatefulSet" =>
        [
            Name,
            new("Ready", "string", "Number of the pod with ready state", o => $"{Int(o, "status", "readyReplicas")}/{Int(o, "spec", "replicas")}"),
            Age,
            .. TemplateColumns().Take(2),
        ],
        "PodDisruptionBudget" =>
        [
            Name,
            new("Min Available", "string", "The minimum number of pods that must be available.", o => o["spec"]?["minAvailable"] is { } v ? Text(v) : "N/A"),
            new("Max Unavailable", "string", "The maximum number of pods that may be unavailable.", o => o["spec"]?["maxUnavailable"] is { } v ? Text(v) : "N/A"),
            new("Allowed Disruptions", "integer", "Number of pod disruptions that are currently allowed.", o => Int(o, "status", "disruptionsAllowed")),
            Age,
        ],
        "HorizontalPodAutoscaler" =>
        [
            Name,
            new("Reference", "string", "Reference to the scaled resource.", o => $"{Str(o, "spec", "scaleTargetRef", "kind")}/{Str(o, "spec", "scaleTargetRef", "name")}"),
            new("Targets", "string", "Current and target values of the metrics.", HpaTargets),
            new("MinPods", "string", "Lower limit for the number of pods.", o => Text(o["spec"]?["minReplicas"])),
            new("MaxPods", "integer", "Upper limit for the number of pods.", o => Int(o, "spec", "maxReplicas")),
            new("Replicas", "integer", "Current number of replicas.", o => Int(o, "status", "currentReplicas")),
            Age,
        ],
        "PersistentVolumeClaim" =>
        [
            Name,
            new("Status", "string", "The phase of the claim.", o => Str(o, "status", "phase") ?? ""),
            new("Volume", "string", "The volume bound to the claim.", o => Str(o, "spec", "volumeName") ?? ""),
            new("Capacity", "string", "The capacity of the bound volume.", o => Str(o, "status", "capacity", "storage") ?? ""),
            new("Access Modes", "string", "The access modes of the bound volume.", o => AccessModes(o["status"]?["accessModes"])),
            new("StorageClass", "string", "The storage class of the claim.", o => Str(o, "spec", "storageClassName") ?? "<unset>"),
            new("VolumeAttributesClass", "string", "The volume attributes class of the claim.", o => Str(o, "spec", "volumeAttributesClassName") ?? "<unset>"),
            Age,
            new("VolumeMode", "string", "Whether the claim is a filesystem or a block device.", o => Str(o, "spec", "volumeMode") ?? "", 1),
        ],
        "PersistentVolume" =>
        [
            Name,
            new("Capacity", "string", "The capacity of the volume.", o => Str(o, "spec", "capacity", "storage") ?? ""),
            new("Access Modes", "string", "The access modes of the volume.", o => AccessModes(o["spec"]?["accessModes"])),
            new("Reclaim Policy", "string", "What happens to the volume when its claim goes.", o => Str(o, "spec", "persistentVolumeReclaimPolicy") ?? ""),
            new("Status", "string", "The phase of the volume.", o => Str(o, "status", "phase") ?? ""),
            new("Claim", "string", "The claim bound to the volume.", o => Str(o, "spec", "claimRef", "name") is { } c ? $"{Str(o, "spec", "claimRef", "namespace")}/{c}" : ""),
            new("StorageClass", "string", "The storage class of the volume.", o => Str(o, "spec", "storageClassName") ?? ""),
            new("VolumeAttributesClass", "string", "The volume attributes class of the volume.", o => Str(o, "spec", "volumeAttributesClassName") ?? "<unset>"),
            new("Reason", "string", "Why the volume is in its phase.", o => Str(o, "status", "reason") ?? ""),
            Age,
            new("VolumeMode", "string", "Whether the volume is a filesystem or a block device.", o => Str(o, "spec", "volumeMode") ?? "", 1),
        ],
        "ResourceQuota" =>
        [
            Name,
            Age,
            new("Request", "string", "Request represents a minimum amount of cpu/memory that a container may consume.", o => QuotaUsage(o, limits: false)),
            new("Limit", "string", "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.", o => QuotaUsage(o, limits: true)),
        ],
        "LimitRange" => [Name, new("Created At", "date", "Creation timestamp of the LimitRange", o => Str(o, "metadata", "creationTimestamp"))],
        "Ingress" =>
        [
            Name,
            new("Class", "string", "The name of the IngressClass resource that should be used for ingress.", o => Str(o, "spec", "ingressClassName") ?? "<none>"),
            new("Hosts", "string", "Hosts that incoming requests are matched against before the ingress rule", IngressHosts),
            new("Address", "string", "Address is a list containing ingress points for the load-balancer", IngressAddress),
            new("Ports", "string", "Ports of TLS configurations that open", o => o["spec"]?["tls"] is JsonArray { Count: > 0 } ? "80, 443" : "80"),
            Age,
        ],
        "IngressClass" =>
        [
            Name,
            new("Controller", "string", "Controller that is responsible for handling this class", o => Str(o, "spec", "controller")),
            new("Parameters", "string", "A reference to a resource with additional parameters", IngressClassParameters),
            Age,
        ],
        "PriorityClass" =>
        [
            Name,
            new("Value", "integer", "Value is the actual integer value of this priority class.", o => Int(o, "value")),
            new("Global-Default", "boolean", "globalDefault specifies whether this PriorityClass should be considered as the default priority.", o => o["globalDefault"]?.DeepClone() ?? false),
            Age,
            new("PreemptionPolicy", "string", "PreemptionPolicy is the policy for preempting pods with lower priority.", o => Str(o, "preemptionPolicy") ?? ""),
        ],
        _ => [Name, Age],
    };

    private static IEnumerable<JsonObject> JobTemplateContainers(JsonObject o) =>
        o["spec"]?["jobTemplate"]?["spec"]?["template"]?["spec"]?["containers"] is JsonArray a ? a.OfType<JsonObject>() : [];

    private static JsonNode JobStatus(JsonObject o)
    {
        var conditions = (o["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(c => Str(c, "status") == "True").Select(c => Str(c, "type")).ToList();
        if (conditions.Contains("Complete")) return "Complete";
        if (conditions.Contains("Failed")) return "Failed";
        if (conditions.Contains("FailureTarget")) return "FailureTarget";
        if (conditions.Contains("SuccessCriteriaMet")) return "SuccessCriteriaMet";
        if (conditions.Contains("Suspended")) return "Suspended";
        return "Running";
    }

    private static JsonNode JobCompletions(JsonObject o)
    {
        var succeeded = Int(o, "status", "succeeded");
        if (o["spec"]?["completions"] is { } completions)
            return $"{succeeded}/{completions}";
        var parallelism = ObjectMeta.Integer(o["spec"]?["parallelism"]) ?? 0;
        return parallelism > 1 ? $"{succeeded}/1 of {parallelism}" : $"{succeeded}/1";
    }

    private static JsonNode JobDuration(JsonObject o)
    {
        if (Str(o, "status", "startTime") is not { } start || !DateTime.TryParse(start, null, System.Globalization.DateTimeStyles.AdjustToUniversal, out var from))
            return "";
        var to = Str(o, "status", "completionTime") is { } end && DateTime.TryParse(end, null, System.Globalization.DateTimeStyles.AdjustToUniversal, out var done) ? done : DateTime.UtcNow;
        return HumanDuration.Format(to - from);
    }

    private static JsonNode HpaTargets(JsonObject o)
    {
        if (o["spec"]?["targetCPUUtilizationPercentage"] is { } v1)
        {
            var current = o["status"]?["currentCPUUtilizationPercentage"] is { } c ? Text(c) + "%" : "<unknown>";
            return $"{current}/{v1}%";
        }
        var metrics = (o["spec"]?["metrics"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (metrics.Count == 0)
            return "<none>";
        return string.Join(", ", metrics.Select(m => Str(m, "resource", "target", "type") == "Utilization"
            ? $"{Str(m, "resource", "name")}: <unknown>/{Text(m["resource"]?["target"]?["averageUtilization"])}%"
            : "<unknown>/<unknown>"));
    }

    private static string AccessModes(JsonNode? modes) =>
        string.Join(',', (modes as JsonArray ?? []).Select(ObjectMeta.Str).OfType<string>().Select(m => m switch
        {
            "ReadWriteOnce" => "RWO",
            "ReadOnlyMany" => "ROX",
            "ReadWriteMany" => "RWX",
            "ReadWriteOncePod" => "RWOP",
            _ => m,
        }));

    private static JsonNode QuotaUsage(JsonObject o, bool limits)
    {
        var hard = o["status"]?["hard"] as JsonObject ?? o["spec"]?["hard"] as JsonObject ?? [];
        var used = o["status"]?["used"] as JsonObject ?? [];
        return string.Join(", ", hard.Where(h => h.Key.StartsWith("limits.", StringComparison.Ordinal) == limits).OrderBy(h => h.Key, StringComparer.Ordinal)
            .Select(h => $"{h.Key}: {(used[h.Key] is { } u ? Text(u) : "0")}/{Text(h.Value)}"));
    }

    private static JsonNode IngressHosts(JsonObject o)
    {
        var hosts = (o["spec"]?["rules"] as JsonArray ?? []).Select(r => ObjectMeta.Str(r?["host"])).OfType<string>().ToList();
        return hosts.Count == 0 ? "*" : string.Join(',', hosts);
    }

    private static JsonNode IngressAddress(JsonObject o) =>
        string.Join(',', (o["status"]?["loadBalancer"]?["ingress"] as JsonArray ?? []).Select(i => ObjectMeta.Str(i?["ip"]) ?? ObjectMeta.Str(i?["hostname"])).OfType<string>());

    private static JsonNode IngressClassParameters(JsonObject o)
    {
        if (o["spec"]?["parameters"] is not JsonObject p)
            return "<none>";
        var group = Str(p, "apiGroup");
        return $"{Str(p, "kind")}{(group is null ? "" : "." + group)}/{Str(p, "name")}";
    }

    /// <summary>A number or string as text; "&lt;unset&gt;" when absent (upstream's printers' word for it).</summary>
    private static string Text(JsonNode? value) => value switch
    {
        null => "<unset>",
        JsonValue v when v.TryGetValue(out string? s) => s,
        _ => value.ToJsonString(),
    };

    private static IEnumerable<Column> TemplateColumns() =>
    [
        new("Containers", "string", "Names of each container in the template.", o => string.Join(',', Containers(o).Select(c => Str(c, "name")))!, 1),
        new("Images", "string", "Images referenced by each container in the template.", o => string.Join(',', Containers(o).Select(c => Str(c, "image")))!, 1),
        new("Selector", "string", "Label selector for pods.", o => Map(o["spec"]?["selector"]?["matchLabels"] ?? o["spec"]?["selector"]), 1),
    ];

    /// <summary>A binding's subjects of one kind, as upstream prints them (service accounts as NAMESPACE/NAME).</summary>
    private static JsonNode Subjects(JsonObject o, string kind) => string.Join(", ", (o["subjects"] as JsonArray ?? []).OfType<JsonObject>()
        .Where(s => Str(s, "kind") == kind)
        .Select(s => kind == "ServiceAccount" ? $"{Str(s, "namespace")}/{Str(s, "name")}" : Str(s, "name")));

    private static IEnumerable<JsonObject> Containers(JsonObject o) =>
        o["spec"]?["template"]?["spec"]?["containers"] is JsonArray a ? a.OfType<JsonObject>() : [];

    private static JsonNode PodReady(JsonObject o)
    {
        int total = o["spec"]?["containers"] is JsonArray c ? c.Count : 0;
        int ready = o["status"]?["containerStatuses"] is JsonArray s ? s.Count(x => x?["ready"]?.GetValue<bool>() == true) : 0;
        return $"{ready}/{total}";
    }

    private static JsonNode PodStatus(JsonObject o)
    {
        if (ObjectMeta.IsDeleting(o)) return "Terminating";
        if (Str(o, "status", "reason") is { } reason) return reason;
        if (o["status"]?["containerStatuses"] is JsonArray statuses)
            foreach (var s in statuses)
                if (Str(s as JsonObject, "state", "waiting", "reason") is { } waiting) return waiting;
        return Str(o, "status", "phase") ?? "Pending";
    }

    private static JsonNode PodRestarts(JsonObject o) =>
        (o["status"]?["containerStatuses"] is JsonArray s ? s.Sum(x => x?["restartCount"]?.GetValue<int>() ?? 0) : 0).ToString();

    private static JsonNode ServiceExternalIp(JsonObject o)
    {
        var ingress = o["status"]?["loadBalancer"]?["ingress"] as JsonArray;
        var external = o["spec"]?["externalIPs"] as JsonArray;
        var ips = (ingress?.Select(i => Str(i as JsonObject, "ip") ?? Str(i as JsonObject, "hostname")) ?? [])
            .Concat(external?.Select(e => ObjectMeta.Str(e)) ?? []).OfType<string>().ToList();
        if (ips.Count > 0) return string.Join(',', ips);
        return Str(o, "spec", "type") == "LoadBalancer" ? "<pending>" : "<none>";
    }

    private static JsonNode ServicePorts(JsonObject o)
    {
        if (o["spec"]?["ports"] is not JsonArray ports || ports.Count == 0) return "<none>";
        return string.Join(',', ports.OfType<JsonObject>().Select(p =>
            p["nodePort"] is JsonNode np ? $"{p["port"]}:{np}/{Str(p, "protocol")}" : $"{p["port"]}/{Str(p, "protocol")}"));
    }

    private static JsonNode NodeStatus(JsonObject o)
    {
        var ready = o["status"]?["conditions"] is JsonArray c ? c.OfType<JsonObject>().FirstOrDefault(x => Str(x, "type") == "Ready") : null;
        var status = ready is null ? "Unknown" : Str(ready, "status") == "True" ? "Ready" : "NotReady";
        return o["spec"]?["unschedulable"]?.GetValue<bool>() == true ? status + ",SchedulingDisabled" : status;
    }

    private static JsonNode NodeRoles(JsonObject o)
    {
        var roles = ObjectMeta.Labels(o).Keys.Where(k => k.StartsWith("node-role.kubernetes.io/", StringComparison.Ordinal))
            .Select(k => k["node-role.kubernetes.io/".Length..]).ToList();
        return roles.Count == 0 ? "<none>" : string.Join(',', roles.Order());
    }

    private static JsonNode NodeAddress(JsonObject o, string type) =>
        (o["status"]?["addresses"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(a => Str(a, "type") == type) is { } a
            ? Str(a, "address") ?? "<none>" : "<none>";

    private static JsonNode EndpointsList(JsonObject o)
    {
        var list = new List<string>();
        foreach (var subset in (o["subsets"] as JsonArray ?? []).OfType<JsonObject>())
            foreach (var address in (subset["addresses"] as JsonArray ?? []).OfType<JsonObject>())
                foreach (var port in (subset["ports"] as JsonArray ?? [new JsonObject()]).OfType<JsonObject>())
                    list.Add(port["port"] is JsonNode p ? $"{Str(address, "ip")}:{p}" : Str(address, "ip") ?? "");
        return Abbreviate(list);
    }

    private static JsonNode SlicePorts(JsonObject o) =>
        o["ports"] is JsonArray { Count: > 0 } ports ? string.Join(',', ports.OfType<JsonObject>().Select(p => p["port"]?.ToString() ?? "")) : "<unset>";

    private static JsonNode SliceEndpoints(JsonObject o) =>
        Abbreviate((o["endpoints"] as JsonArray ?? []).OfType<JsonObject>().SelectMany(e => (e["addresses"] as JsonArray ?? []).Select(ObjectMeta.Str)).OfType<string>().ToList());

    private static string Abbreviate(List<string> items) =>
        items.Count == 0 ? "<none>" : items.Count <= 3 ? string.Join(',', items) : $"{string.Join(',', items.Take(3))} + {items.Count - 3} more...";

    private static JsonNode Count(JsonNode? node) => Size(node);

    private static int Size(JsonNode? node) => node switch
    {
        JsonObject o => o.Count,
        JsonArray a => a.Count,
        _ => 0,
    };

    private static string Map(JsonNode? node) =>
        node is JsonObject { Count: > 0 } o ? string.Join(',', o.Select(p => $"{p.Key}={p.Value}")) : "<none>";

    private static JsonNode Int(JsonObject o, params string[] path) =>
        Walk(o, path) is JsonValue v && v.TryGetValue(out long n) ? n : 0;

    private static string? Str(JsonObject? o, params string[] path) => ObjectMeta.Str(Walk(o, path));

    private static JsonNode? Walk(JsonObject? o, string[] path)
    {
        JsonNode? node = o;
        foreach (var p in path)
            node = node is JsonObject obj ? obj[p] : null;
        return node;
    }
}
