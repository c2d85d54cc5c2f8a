using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Microsoft.AspNetCore.Http;

namespace Kybernet.ApiServer.Lifecycle;

public enum Propagation
{
    Background,
    Foreground,
    Orphan,
}

/// <summary>A DELETE's options, from its DeleteOptions body and query string.</summary>
public sealed record DeleteOptions(Propagation Propagation, string? PreconditionUid, string? PreconditionResourceVersion, bool DryRun)
{
    public static DeleteOptions Default { get; } = new(Propagation.Background, null, null, false);

    /// <summary>Whether the client named a propagation policy (an object already being deleted then switches to it).</summary>
    public bool PropagationGiven { get; init; }

    /// <summary>How long a graceful delete (a pod on a node) may take, as asked; null: the object's own default.</summary>
    public long? GracePeriodSeconds { get; init; }

    public static DeleteOptions From(JsonObject? body, HttpContext context)
    {
        var policy = ObjectMeta.Str(body?["propagationPolicy"]) ?? context.Request.Query["propagationPolicy"].FirstOrDefault();
        if (body?["orphanDependents"] is JsonValue orphan && orphan.TryGetValue(out bool o) && o)
            policy ??= "Orphan";
        var propagation = policy switch
        {
            null or "" or "Background" => Propagation.Background,
            "Foreground" => Propagation.Foreground,
            "Orphan" => Propagation.Orphan,
            _ => throw ApiException.BadRequest($"propagationPolicy \"{policy}\" is not one of Orphan, Background, Foreground"),
        };
        bool dryRun = Negotiation.IsDryRun(context) || (body?["dryRun"] is JsonArray d && d.Any(v => ObjectMeta.Str(v) == "All"));
        return new DeleteOptions(propagation,
            ObjectMeta.Str(body?["preconditions"]?["uid"]),
            ObjectMeta.Str(body?["preconditions"]?["resourceVersion"]),
            dryRun)
        {
            PropagationGiven = !string.IsNullOrEmpty(policy),
            GracePeriodSeconds = ObjectMeta.Integer(body?["gracePeriodSeconds"])
                ?? (long.TryParse(context.Request.Query["gracePeriodSeconds"].FirstOrDefault(), out var grace) ? grace : null),
        };
    }
}
