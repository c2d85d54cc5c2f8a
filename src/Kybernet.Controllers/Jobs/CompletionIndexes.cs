using System.Globalization;
using System.Text;
using k8s.Models;

namespace Kybernet.Controllers.Jobs;

/// <summary>
/// Indexed completion mode: each pod runs one index in [0, completions), given as the annotation and label
/// batch.kubernetes.io/job-completion-index, the env var JOB_COMPLETION_INDEX (from the annotation) and the hostname
/// JOB-INDEX; the job records the indexes done as status.completedIndexes ("1,3-5,7").
/// </summary>
public static class CompletionIndexes
{
    public const string Key = "batch.kubernetes.io/job-completion-index";
    public const string EnvName = "JOB_COMPLETION_INDEX";

    /// <summary>The pod's index (from its annotation), or null when it has none or a bad one.</summary>
    public static int? Of(V1Pod pod) =>
        pod.Metadata.Annotations?.TryGetValue(Key, out var text) == true &&
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : null;

    /// <summary>"1,3-5,7" as its indexes (a bad part is skipped).</summary>
    public static SortedSet<int> Parse(string? text)
    {
        var set = new SortedSet<int>();
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var bounds = part.Split('-');
            if (bounds.Length == 1 && int.TryParse(bounds[0], NumberStyles.None, CultureInfo.InvariantCulture, out var one))
                set.Add(one);
            else if (bounds.Length == 2 && int.TryParse(bounds[0], NumberStyles.None, CultureInfo.InvariantCulture, out var first)
                     && int.TryParse(bounds[1], NumberStyles.None, CultureInfo.InvariantCulture, out var last))
                for (var i = first; i <= last; i++)
                    set.Add(i);
        }
        return set;
    }

    /// <summary>Indexes as upstream writes them: ascending, runs of consecutive ones as "first-last".</summary>
    public static string? Format(IEnumerable<int> indexes)
    {
        var sorted = indexes.Distinct().Order().ToList();
        if (sorted.Count == 0)
            return null;
        var text = new StringBuilder();
        for (var i = 0; i < sorted.Count;)
        {
            var j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1)
                j++;
            if (text.Length > 0)
                text.Append(',');
            text.Append(sorted[i].ToString(CultureInfo.InvariantCulture));
            if (j > i)
                text.Append('-').Append(sorted[j].ToString(CultureInfo.InvariantCulture));
            i = j + 1;
        }
        return text.ToString();
    }

    /// <summary>Makes <paramref name="pod"/> the pod of <paramref name="index"/>.</summary>
    public static void Assign(V1Pod pod, string jobName, int index)
    {
        var text = index.ToString(CultureInfo.InvariantCulture);
        pod.Metadata.Annotations = new Dictionary<string, string>(pod.Metadata.Annotations ?? new Dictionary<string, string>()) { [Key] = text };
        pod.Metadata.Labels = new Dictionary<string, string>(pod.Metadata.Labels ?? new Dictionary<string, string>()) { [Key] = text };
        if (string.IsNullOrEmpty(pod.Spec.Hostname))
            pod.Spec.Hostname = $"{jobName}-{text}";
        foreach (var container in (pod.Spec.InitContainers ?? []).Concat(pod.Spec.Containers ?? []))
        {
            container.Env ??= [];
            if (container.Env.All(e => e.Name != EnvName))
                container.Env.Add(new V1EnvVar
                {
                    Name = EnvName,
                    ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = $"metadata.annotations['{Key}']" } },
                });
        }
    }
}
