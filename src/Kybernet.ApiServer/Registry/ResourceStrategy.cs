using System.Text.Json.Nodes;
using Kybernet.Api.Names;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Registry.Subresources;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Registry;

/// <summary>
/// Everything particular to one kind, in one place (upstream's registry strategies,
/// pkg/registry/*/strategy.go): its defaults, its checks on create and on update, what a new object
/// may not bring (its status), what an update keeps, what is stored with it (claims), what a delete
/// does, and its subresources. The generic flow (<see cref="ResourceRegistry"/>, the Deleter, the
/// collector) calls these hooks and never asks which kind it has; a kind overrides what it does
/// differently. A kind with no rules of its own is served by this class as it is: names are DNS
/// subdomains, labels are checked, nothing else.
/// </summary>
public class ResourceStrategy(ResourceDefinition resource)
{
    public ResourceDefinition Resource { get; } = resource;

    /// <summary>The kind's subresources (NAME/status, NAME/scale, ...), each served by a handler of its own.</summary>
    public virtual IReadOnlyList<Subresource> Subresources => [];

    public Subresource? FindSubresource(string name) => Subresources.FirstOrDefault(s => s.Name == name);

    /// <summary>The view subresource of that name (status, scale, finalize), if the kind has one.</summary>
    public ViewSubresource? FindView(string name) => FindSubresource(name) as ViewSubresource;

    /// <summary>
    /// For a resource whose create is an action on another object (core/v1 bindings: POSTing a
    /// Binding binds the pod it names), that action; null for resources that store what is created.
    /// </summary>
    public virtual ActionSubresource? CreateAction => null;

    // ---- create ----

    /// <summary>
    /// What a new object may not bring: the server owns its status (cleared, or set to the kind's
    /// starting status). Runs once, before <see cref="Default"/> (upstream's PrepareForCreate).
    /// </summary>
    public virtual void PrepareForCreate(JsonObject obj) { }

    /// <summary>Fills the fields the client left out; runs on create and on every update (upstream's defaulting).</summary>
    public virtual void Default(JsonObject obj) { }

    /// <summary>
    /// What a create takes from other stored objects (upstream's mutating admission: a pod's priority
    /// from its PriorityClass), after the defaults and before validation; may refuse the object with a
    /// Status (403 when what it names does not exist).
    /// </summary>
    public virtual Task AdmitCreateAsync(JsonObject obj, Storage.ObjectStore objects, CancellationToken ct) => Task.CompletedTask;

    // ---- update ----

    /// <summary>
    /// An update of the main resource: what it keeps of the stored object whatever the client sent
    /// (the status, for kinds that have one). <paramref name="next"/> is changed in place.
    /// </summary>
    public virtual void PrepareForUpdate(JsonObject next, JsonObject current) { }

    /// <summary>
    /// An update through /status: the stored object with the written status, and nothing else of the
    /// write (upstream's status strategies), unless the kind allows more there.
    /// </summary>
    public virtual JsonObject PrepareForStatusUpdate(JsonObject written, JsonObject current)
    {
        var next = (JsonObject)current.DeepClone();
        next["status"] = written["status"]?.DeepClone();
        return next;
    }

    /// <summary>Keeps the stored status: for kinds with a /status, the main resource cannot change it.</summary>
    protected static void KeepStatus(JsonObject next, JsonObject current) => next["status"] = current["status"]?.DeepClone();

    // ---- who writes ----

    /// <summary>
    /// Checks a create or update against the user who makes it (RBAC's escalation checks), before it is
    /// stored; throws a 403 to refuse. Every writer is admitted unless the kind says otherwise.
    /// </summary>
    public virtual void AdmitWrite(Microsoft.AspNetCore.Http.HttpContext context, string? ns, JsonObject obj) { }

    // ---- validation ----

    /// <summary>Every problem of a new object, as the causes of one 422.</summary>
    public IReadOnlyList<StatusCause> ValidateCreate(JsonObject obj)
    {
        var causes = new List<StatusCause>();
        ValidateObject(obj, causes);
        return causes;
    }

    /// <summary>Every problem of an updated object: the same checks as on create, and what may not change.</summary>
    public IReadOnlyList<StatusCause> ValidateUpdate(JsonObject next, JsonObject current)
    {
        var causes = new List<StatusCause>();
        ValidateObject(next, causes);
        ValidateChange(next, current, causes);
        return causes;
    }

    private void ValidateObject(JsonObject obj, List<StatusCause> causes)
    {
        CommonValidation.Name(obj, ValidateName, causes);
        CommonValidation.Labels(obj["metadata"]?["labels"], "metadata.labels", causes);
        CommonValidation.OwnerReferences(obj["metadata"]?["ownerReferences"], causes);
        CommonValidation.Annotations(obj["metadata"]?["annotations"], "metadata.annotations", causes);
        Validate(obj, causes);
    }

    /// <summary>The form a name must have: a DNS subdomain, unless the kind says otherwise.</summary>
    protected virtual IReadOnlyList<string> ValidateName(string name) => NameValidation.IsDns1123Subdomain(name);

    /// <summary>The kind's own checks of an object, on create and update.</summary>
    protected virtual void Validate(JsonObject obj, List<StatusCause> causes) { }

    /// <summary>What an update may not change (immutable fields).</summary>
    protected virtual void ValidateChange(JsonObject next, JsonObject current, List<StatusCause> causes) { }

    // ---- what is stored with the object ----

    /// <summary>
    /// Keys to create in the same transaction as the new object (a service's cluster IP and node
    /// ports), filling in what they stand for. Only a proposal until the write succeeds: if another
    /// writer takes one first, the registry asks again with a fresh copy of the object.
    /// </summary>
    public virtual Task<IReadOnlyList<string>> PlanCreateClaimsAsync(JsonObject obj, CancellationToken ct) => NoClaims;

    /// <summary>Keys an update newly needs, created with its write.</summary>
    public virtual Task<IReadOnlyList<string>> PlanUpdateClaimsAsync(JsonObject next, JsonObject current, CancellationToken ct) => NoClaims;

    private static readonly Task<IReadOnlyList<string>> NoClaims = Task.FromResult<IReadOnlyList<string>>([]);

    // ---- delete ----

    /// <summary>Refuses a delete the kind never allows (a 403), before anything is read.</summary>
    public virtual void ValidateDelete(string name) { }

    /// <summary>
    /// Whether a first DELETE only marks the object (deletionTimestamp) even when no finalizer holds
    /// it: a namespace is emptied before it goes. Otherwise an object without finalizers goes at once.
    /// </summary>
    public virtual bool MarksBeforeRemoval => false;

    /// <summary>What marking an object as being deleted changes besides its deletionTimestamp.</summary>
    public virtual void PrepareForDelete(JsonObject marked) { }

    /// <summary>
    /// How many seconds a delete leaves the object marked (deletionTimestamp in the future,
    /// deletionGracePeriodSeconds) for whoever must finish it first, as upstream's graceful deletion:
    /// a pod running on a node stays until its kubelet has stopped it. 0, the default: no grace, the
    /// object goes at once (or when its finalizers are done). <paramref name="requested"/> is the
    /// DeleteOptions' gracePeriodSeconds.
    /// </summary>
    public virtual Task<long> GracePeriodAsync(JsonObject current, long? requested, Storage.ObjectStore objects, CancellationToken ct) => Task.FromResult(0L);

    /// <summary>
    /// Whether an object being deleted can go now: nothing holds it any more. Asked after every
    /// write of an object being deleted and when it is deleted again (upstream's ShouldDeleteDuringUpdate).
    /// </summary>
    public virtual bool CanRemove(JsonObject deleting) => ObjectMeta.Finalizers(deleting).Count == 0;
}
