using System.Text.Json.Nodes;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Admission;

/// <summary>
/// A new object's status is the server's to set, not the client's: upstream clears it on create
/// (keeping a few starting values, like a pod's Pending phase or a namespace's Active).
/// </summary>
public static class StatusReset
{
    public static void OnCreate(ResourceDefinition r, JsonObject obj)
    {
        if (!r.HasStatus)
            return;
        obj["status"] = r.Kind switch
        {
            "Pod" => new JsonObject { ["phase"] = "Pending", ["qosClass"] = "BestEffort" },
            "Namespace" => new JsonObject { ["phase"] = "Active" },
            "Service" => new JsonObject { ["loadBalancer"] = new JsonObject() },
            "Node" => obj["status"]?.DeepClone() ?? new JsonObject(), // a kubelet registers its node with its status
            _ => new JsonObject(),
        };
    }
}
