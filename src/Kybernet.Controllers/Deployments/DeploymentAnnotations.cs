using System.Globalization;
using k8s.Models;

namespace Kybernet.Controllers.Deployments;

/// <summary>
/// The annotations a Deployment and its ReplicaSets carry, with upstream's names and rules: the revision of each
/// ReplicaSet (the highest so far plus one for the new one, copied to the Deployment), the revisions it had before a
/// rollback brought it back (revision-history), the Deployment's size and size with surge when it was last scaled
/// (desired-replicas, max-replicas), and the Deployment's own annotations (kubernetes.io/change-cause among them)
/// copied to its new ReplicaSet.
/// </summary>
public static class DeploymentAnnotations
{
    public const string Revision = "deployment.kubernetes.io/revision";
    public const string RevisionHistory = "deployment.kubernetes.io/revision-history";
    public const string DesiredReplicas = "deployment.kubernetes.io/desired-replicas";
    public const string MaxReplicas = "deployment.kubernetes.io/max-replicas";
    public const string ChangeCause = "kubernetes.io/change-cause";
    private const string LastApplied = "kubectl.kubernetes.io/last-applied-configuration";
    private const string RollbackTo = "deprecated.deployment.rollback.to";

    /// <summary>upstream's cap on revision-history (its controller's default).</summary>
    public const int MaxRevisionHistoryLength = 2000;

    // The Deployment's annotations that are not copied to its ReplicaSets (each side keeps its own).
    private static readonly HashSet<string> NotCopied = new(StringComparer.Ordinal) { LastApplied, Revision, RevisionHistory, DesiredReplicas, MaxReplicas, RollbackTo };

    /// <summary>The object's revision (0 when it has none or it is not a number).</summary>
    public static long RevisionOf(V1ObjectMeta? metadata) =>
        metadata?.Annotations?.TryGetValue(Revision, out var value) == true && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var revision) ? revision : 0;

    public static int? IntAnnotation(V1ObjectMeta? metadata, string key) =>
        metadata?.Annotations?.TryGetValue(key, out var value) == true && int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : null;

    /// <summary>
    /// Brings the new ReplicaSet's annotations up to date: the Deployment's own copied, its revision raised to
    /// <paramref name="newRevision"/> (the revision it had goes to revision-history: it is being rolled back to),
    /// and, for one about to be created, desired and max replicas. Returns whether anything changed.
    /// </summary>
    public static bool SetNewReplicaSetAnnotations(V1Deployment deployment, V1ReplicaSet rs, long newRevision, bool exists, int maxSurge)
    {
        var annotations = rs.Metadata.Annotations ??= new Dictionary<string, string>();
        var changed = CopyDeploymentAnnotations(deployment, rs);
        var hadRevision = annotations.TryGetValue(Revision, out var oldRevision);
        var oldRevisionNumber = RevisionOf(rs.Metadata);
        if (oldRevisionNumber < newRevision)
        {
            annotations[Revision] = newRevision.ToString(CultureInfo.InvariantCulture);
            changed = true;
            if (hadRevision && !string.IsNullOrEmpty(oldRevision))
                AppendRevisionHistory(annotations, oldRevision);
        }
        if (!exists && SetReplicasAnnotations(rs, deployment.Spec.Replicas ?? 1, (deployment.Spec.Replicas ?? 1) + maxSurge))
            changed = true;
        return changed;
    }

    private static void AppendRevisionHistory(IDictionary<string, string> annotations, string oldRevision)
    {
        var history = annotations.TryGetValue(RevisionHistory, out var h) ? h : "";
        if (history.Length == 0)
        {
            annotations[RevisionHistory] = oldRevision;
            return;
        }
        // Oldest entries go first when the list would grow past the cap.
        var entries = history.Split(',').ToList();
        var total = history.Length + oldRevision.Length + 1;
        while (total > MaxRevisionHistoryLength && entries.Count > 0)
        {
            total -= entries[0].Length + 1;
            entries.RemoveAt(0);
        }
        if (total <= MaxRevisionHistoryLength)
        {
            entries.Add(oldRevision);
            annotations[RevisionHistory] = string.Join(',', entries);
        }
    }

    /// <summary>The Deployment's annotations (but the per-object ones) onto the ReplicaSet; returns whether any changed.</summary>
    private static bool CopyDeploymentAnnotations(V1Deployment deployment, V1ReplicaSet rs)
    {
        var target = rs.Metadata.Annotations ??= new Dictionary<string, string>();
        var changed = false;
        foreach (var (key, value) in deployment.Metadata.Annotations ?? new Dictionary<string, string>())
        {
            if (NotCopied.Contains(key) || (target.TryGetValue(key, out var existing) && existing == value))
                continue;
            target[key] = value;
            changed = true;
        }
        return changed;
    }

    /// <summary>Records the Deployment's size and size with surge on the ReplicaSet; returns whether either changed.</summary>
    public static bool SetReplicasAnnotations(V1ReplicaSet rs, int desired, int max)
    {
        var annotations = rs.Metadata.Annotations ??= new Dictionary<string, string>();
        var desiredText = desired.ToString(CultureInfo.InvariantCulture);
        var maxText = max.ToString(CultureInfo.InvariantCulture);
        if (annotations.TryGetValue(DesiredReplicas, out var d) && d == desiredText && annotations.TryGetValue(MaxReplicas, out var m) && m == maxText)
            return false;
        annotations[DesiredReplicas] = desiredText;
        annotations[MaxReplicas] = maxText;
        return true;
    }

    /// <summary>Sets the Deployment's revision annotation; returns whether it changed.</summary>
    public static bool SetDeploymentRevision(V1Deployment deployment, string revision)
    {
        var annotations = deployment.Metadata.Annotations ??= new Dictionary<string, string>();
        if (annotations.TryGetValue(Revision, out var current) && current == revision)
            return false;
        annotations[Revision] = revision;
        return true;
    }
}
