namespace Kybernet.ApiServer.Security.Authorization;

/// <summary>
/// Reads what a request asks from its method, path and query alone (upstream's RequestInfoFactory),
/// before anything serves it: /api/v1/... and /apis/GROUP/VERSION/... with a resource are resource
/// requests (namespaces/NS/RESOURCE/NAME/SUB; namespaces/NAME is the namespace itself, whose namespace
/// is its name); every other path (/api, /apis/GROUP, /version, /openapi/v3...) is a non-resource
/// request whose verb is the lower-cased HTTP method.
/// </summary>
public static class RequestAttributesParser
{
    private static readonly HashSet<string> NamespaceSubresources = ["status", "finalize"];

    public static RequestAttributes Parse(UserInfo user, string method, string path, Func<string, string?> query)
    {
        var segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        string group;
        string version;
        ArraySegment<string> rest;
        if (segments is ["api", var v, _, ..])
            (group, version, rest) = ("", v, segments[2..]);
        else if (segments is ["apis", var g, var gv, _, ..])
            (group, version, rest) = (g, gv, segments[3..]);
        else
            return RequestAttributes.ForPath(user, method.ToLowerInvariant(), "/" + string.Join('/', segments));

        string ns = "";
        if (rest[0] == "namespaces" && rest.Count > 1)
        {
            ns = rest[1];
            if (rest.Count > 2 && !NamespaceSubresources.Contains(rest[2]))
                rest = rest[2..];
        }
        var resource = rest[0];
        var name = rest.Count > 1 ? rest[1] : "";
        var subresource = rest.Count > 2 ? rest[2] : "";
        // Only a collection is watched (a named GET with watch=true is served, and judged, as a get).
        var watch = name.Length == 0 && query("watch") is "true" or "1";
        var verb = method switch
        {
            "GET" or "HEAD" when watch => "watch",
            "GET" or "HEAD" => name.Length > 0 ? "get" : "list",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => name.Length > 0 ? "delete" : "deletecollection",
            _ => method.ToLowerInvariant(),
        };
        // A list or watch of one object by name (kubectl wait, rollout status) is judged as that object's.
        if (name.Length == 0 && verb is "list" or "watch" && query("fieldSelector") is { } selector)
            foreach (var term in selector.Split(','))
                if (term.StartsWith("metadata.name=", StringComparison.Ordinal) && !term.StartsWith("metadata.name==", StringComparison.Ordinal))
                    name = term["metadata.name=".Length..];
                else if (term.StartsWith("metadata.name==", StringComparison.Ordinal))
                    name = term["metadata.name==".Length..];
        return new RequestAttributes(user, verb, true, "/" + string.Join('/', segments), group, version, resource, subresource, ns, name);
    }
}
