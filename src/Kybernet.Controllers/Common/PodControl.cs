using k8s;
using k8s.Models;
using Kybernet.Client;

namespace Kybernet.Controllers.Common;

/// <summary>
/// How workload controllers make and remove pods (upstream's RealPodControl): a pod from a template with the controller's
/// ownerReference, named after it; deletion by name with the pod's uid as a precondition (a pod recreated under the same
/// name is not ours to delete). Each result is recorded as an event on the controller, in upstream's words.
/// </summary>
public sealed class PodControl(IKubernetes client, EventRecorder events)
{
    /// <summary>
    /// Creates a pod from <paramref name="template"/> in the owner's namespace, controlled by it, named "OWNER-xxxxx" (or
    /// <paramref name="generateName"/>). <paramref name="customize"/> adjusts it before it is sent (extra labels, nodeName).
    /// </summary>
    public async Task<V1Pod> CreateAsync(IKubernetesObject<V1ObjectMeta> owner, string apiVersion, string kind, V1PodTemplateSpec template,
        Action<V1Pod>? customize = null, string? generateName = null, CancellationToken ct = default)
    {
        var pod = FromTemplate(owner, apiVersion, kind, template, generateName);
        customize?.Invoke(pod);
        try
        {
            var created = await client.CoreV1.CreateNamespacedPodAsync(pod, owner.Metadata.NamespaceProperty, cancellationToken: ct);
            events.Record(owner, apiVersion, kind, EventRecorder.Normal, "SuccessfulCreate", $"Created pod: {created.Metadata.Name}");
            return created;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            events.Record(owner, apiVersion, kind, EventRecorder.Warning, "FailedCreate", $"Error creating: {KubeClient.Describe(e)}");
            throw;
        }
    }

    /// <summary>Deletes the pod (already gone counts as done); returns false when it was gone.</summary>
    public async Task<bool> DeleteAsync(IKubernetesObject<V1ObjectMeta> owner, string apiVersion, string kind, V1Pod pod, CancellationToken ct = default)
    {
        try
        {
            await client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty,
                new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = pod.Metadata.Uid } }, cancellationToken: ct);
            events.Record(owner, apiVersion, kind, EventRecorder.Normal, "SuccessfulDelete", $"Deleted pod: {pod.Metadata.Name}");
            return true;
        }
        catch (Exception e) when (KubeClient.IsNotFound(e))
        {
            return false;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            events.Record(owner, apiVersion, kind, EventRecorder.Warning, "FailedDelete", $"Error deleting: {KubeClient.Describe(e)}");
            throw;
        }
    }

    /// <summary>The pod a template describes, owned by <paramref name="owner"/> (labels, annotations, finalizers and spec copied).</summary>
    public static V1Pod FromTemplate(IKubernetesObject<V1ObjectMeta> owner, string apiVersion, string kind, V1PodTemplateSpec template, string? generateName = null)
    {
        var copy = KubernetesJson.Deserialize<V1PodTemplateSpec>(KubernetesJson.Serialize(template));
        var prefix = generateName ?? owner.Metadata.Name + "-";
        return new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                GenerateName = prefix,
                NamespaceProperty = owner.Metadata.NamespaceProperty,
                Labels = copy.Metadata?.Labels,
                Annotations = copy.Metadata?.Annotations,
                Finalizers = copy.Metadata?.Finalizers,
                OwnerReferences = [ControllerRefs.For(owner, apiVersion, kind)],
            },
            Spec = copy.Spec,
        };
    }
}
