using k8s;
using k8s.Autorest;
using k8s.Models;
using Kybernet.Client;

namespace Kybernet.Controllers.Replication;

/// <summary>
/// A create or delete of a sync failed: the ReplicaFailure condition's reason (FailedCreate, FailedDelete) and message
/// (the API's own message, as upstream shows it), and the sync is retried with backoff.
/// </summary>
public sealed class ReplicaManageException(string reason, Exception inner) : Exception(MessageOf(inner), inner)
{
    public string Reason { get; } = reason;

    /// <summary>The Status message of an API error ("pods \"web-x\" is forbidden: ..."), else the failure described.</summary>
    public static string MessageOf(Exception e)
    {
        if (e is HttpOperationException { Response.Content: { Length: > 0 } content })
        {
            try
            {
                if (KubernetesJson.Deserialize<V1Status>(content)?.Message is { Length: > 0 } message)
                    return message;
            }
            catch (Exception)
            {
                // Not a Status (a proxy's error page): described whole below.
            }
        }
        return KubeClient.Describe(e);
    }

    /// <summary>
    /// "unable to create new content in namespace X because it is being terminated": upstream does not count it as a
    /// failure (the namespace's deletion takes the owner away too).
    /// </summary>
    public static bool IsNamespaceTerminating(Exception e)
    {
        if (KubeClient.StatusOf(e) != 403 || e is not HttpOperationException { Response.Content: { } content })
            return false;
        try
        {
            var status = KubernetesJson.Deserialize<V1Status>(content);
            return status?.Details?.Causes?.Any(c => c.Reason == "NamespaceTerminating") == true ||
                status?.Message?.Contains("because it is being terminated", StringComparison.Ordinal) == true;
        }
        catch (Exception)
        {
            return false; // not a Status: not the API's refusal
        }
    }
}
