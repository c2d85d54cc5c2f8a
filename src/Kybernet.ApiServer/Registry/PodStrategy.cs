using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Registry.Subresources;
using Kybernet.ApiServer.Resources;
using Kybernet.ApiServer.Storage;

namespace Kybernet.ApiServer.Registry;

/// <summary>
/// Pods: a pod spec's defaults and checks; a new pod starts Pending; the status is the kubelet's,
/// written through /status. A pod's spec is fixed once created, as upstream has it, but for the
/// fields a running pod can take (images, activeDeadlineSeconds, added tolerations) and its node
/// while it has none.
/// </summary>
public sealed class PodStrategy : ResourceStrategy
{
    public PodStrategy() : base(ResourceDefinition.Core("Pod", "pods", "pod", shortNames: ["po"], categories: ["all"])) =>
        Subresources = [new StatusSubresource(this), new BindingSubresource(this), new EvictionSubresource(this), new LogSubresource(),
            new ExecSubresource(), new AttachSubresource(), new PortForwardSubresource(), new PodProxySubresource()];

    public override IReadOnlyList<Subresource> Subresources { get; }

    /// <summary>Upstream's DefaultTerminationGracePeriodSeconds.</summary>
    public const long DefaultGracePeriodSeconds = 30;

    private static readonly ResourceDefinition Nodes = new NodeStrategy().Resource;

    public override void PrepareForCreate(JsonObject obj) =>
        obj["status"] = new JsonObject { ["phase"] = "Pending", ["qosClass"] = "BestEffort" };

    public override void Default(JsonObject obj)
    {
        if (obj["spec"] is not JsonObject spec)
            return;
        PodSpecs.Default(spec);
        // Upstream's ServiceAccount admission names the namespace's default account (and the
        // deprecated serviceAccount mirrors the name). Whether that account exists is not checked:
        // no controller makes it yet.
        if (ObjectMeta.Str(spec["serviceAccountName"]) is null or "")
            spec["serviceAccountName"] = ObjectMeta.Str(spec["serviceAccount"]) is { Length: > 0 } named ? named : "default";
        Defaults.Set(spec, "serviceAccount", () => spec["serviceAccountName"]!.DeepClone());
    }

    private static readonly ResourceDefinition PriorityClasses = new PriorityClassStrategy().Resource;

    /// <summary>
    /// Upstream's Priority admission: a pod naming a PriorityClass gets its value as spec.priority and
    /// its preemptionPolicy (403 if there is no such class, or if the pod brings another priority); a
    /// pod naming none gets the global default class, if one is marked so, else priority 0.
    /// <para>Then upstream's DefaultTolerationSeconds (<see cref="DefaultTolerationSeconds"/>).</para>
    /// </summary>
    public override async Task AdmitCreateAsync(JsonObject obj, ObjectStore objects, CancellationToken ct)
    {
        if (obj["spec"] is not JsonObject spec)
            return;
        DefaultTolerationSeconds.Apply(spec);
        var name = ObjectMeta.Str(spec["priorityClassName"]);
        JsonObject? priorityClass;
        if (string.IsNullOrEmpty(name))
        {
            var (classes, _) = await objects.ListAsync(PriorityClasses, null, ct);
            priorityClass = classes.Where(c => c["globalDefault"] is JsonValue d && d.TryGetValue(out bool isDefault) && isDefault)
                .OrderByDescending(c => ObjectMeta.Integer(c["value"])).FirstOrDefault();
        }
        else
        {
            priorityClass = await objects.GetAsync(PriorityClasses, null, name, ct)
                ?? throw Forbidden(obj, $"no PriorityClass with name {name} was found");
        }
        long priority = priorityClass is null ? 0 : ObjectMeta.Integer(priorityClass["value"]) ?? 0;
        if (ObjectMeta.Integer(spec["priority"]) is { } given && given != priority)
            throw Forbidden(obj, $"the integer value of priority ({given}) must not be provided in pod spec; priority admission controller computed {priority} from the given PriorityClass name");
        spec["priority"] = priority;
        if (priorityClass is null)
            return;
        spec["priorityClassName"] = ObjectMeta.Name(priorityClass);
        spec["preemptionPolicy"] = ObjectMeta.Str(priorityClass["preemptionPolicy"]) ?? "PreemptLowerPriority";
    }

    private static ApiException Forbidden(JsonObject pod, string why)
    {
        var name = ObjectMeta.Name(pod) ?? "";
        return new ApiException(403, "Forbidden", $"pods \"{name}\" is forbidden: {why}", name, "", "pods");
    }

    /// <summary>
    /// Upstream's graceful deletion of pods: a pod bound to a node and not finished gets the asked
    /// grace period (else its spec's terminationGracePeriodSeconds, else 30 s) for its kubelet to stop
    /// it; an unbound or finished pod goes at once. <b>Decision:</b> so does a pod whose node object
    /// does not exist (no kubelet will ever finish it; upstream's PodGC removes such pods).
    /// </summary>
    public override async Task<long> GracePeriodAsync(JsonObject current, long? requested, ObjectStore objects, CancellationToken ct)
    {
        var grace = GracePeriod(current, requested);
        if (grace == 0)
            return 0;
        var node = ObjectMeta.Str(current["spec"]?["nodeName"])!;
        return await objects.GetAsync(Nodes, null, node, ct) is null ? 0 : grace;
    }

    /// <summary>The grace period a pod gets, whatever its node: 0 when unbound or finished.</summary>
    public static long GracePeriod(JsonObject pod, long? requested)
    {
        if (ObjectMeta.Str(pod["spec"]?["nodeName"]) is null or "")
            return 0;
        if (ObjectMeta.Str(pod["status"]?["phase"]) is "Succeeded" or "Failed")
            return 0;
        var grace = requested ?? ObjectMeta.Integer(pod["spec"]?["terminationGracePeriodSeconds"]) ?? DefaultGracePeriodSeconds;
        return Math.Max(0, grace);
    }

    /// <summary>A pod being deleted goes once its grace is over (its kubelet deletes it with grace 0) and no finalizer holds it.</summary>
    public override bool CanRemove(JsonObject deleting) =>
        base.CanRemove(deleting) && (ObjectMeta.Integer(deleting["metadata"]?["deletionGracePeriodSeconds"]) ?? 0) == 0;

    public override void PrepareForUpdate(JsonObject next, JsonObject current)
    {
        KeepStatus(next, current);
        // What admission computed at create stays when an update leaves it out (a `kubectl replace` of the original manifest).
        if (next["spec"] is JsonObject spec && current["spec"] is JsonObject old)
            foreach (var field in new[] { "priority", "preemptionPolicy" })
                if (spec[field] is null && old[field] is { } kept)
                    spec[field] = kept.DeepClone();
        // Upstream's DefaultTolerationSeconds admits updates too: a replace with the original manifest keeps them.
        if (next["spec"] is JsonObject nextSpec)
            DefaultTolerationSeconds.Apply(nextSpec);
    }

    protected override void Validate(JsonObject obj, List<StatusCause> causes) =>
        PodSpecs.Validate(obj["spec"] as JsonObject, "spec", causes);

    protected override void ValidateChange(JsonObject next, JsonObject current, List<StatusCause> causes)
    {
        var spec = next["spec"] as JsonObject ?? [];
        var old = current["spec"] as JsonObject ?? [];
        // The node is set once (by the scheduler, until pods/binding exists), then fixed like the rest.
        bool nodeOpen = ObjectMeta.Str(old["nodeName"]) is null or "";
        if (!JsonNode.DeepEquals(WithoutMutableFields(spec, nodeOpen), WithoutMutableFields(old, nodeOpen)))
            causes.Add(Causes.Forbidden("spec",
                "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.nodeName` (only when unset)"));
        var tolerations = (spec["tolerations"] as JsonArray ?? []).ToList();
        if ((old["tolerations"] as JsonArray ?? []).Any(o => !tolerations.Any(t => JsonNode.DeepEquals(o, t))))
            causes.Add(Causes.Forbidden("spec.tolerations", "existing toleration can not be modified except its tolerationSeconds"));
    }

    /// <summary>The spec with what an update may change taken out, for comparing the rest.</summary>
    private static JsonObject WithoutMutableFields(JsonObject spec, bool nodeOpen)
    {
        var copy = (JsonObject)spec.DeepClone();
        foreach (var list in new[] { "containers", "initContainers" })
            foreach (var c in (copy[list] as JsonArray ?? []).OfType<JsonObject>())
                c.Remove("image");
        copy.Remove("activeDeadlineSeconds");
        copy.Remove("tolerations");
        if (nodeOpen)
            copy.Remove("nodeName");
        return copy;
    }
}
