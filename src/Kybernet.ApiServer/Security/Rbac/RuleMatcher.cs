using Kybernet.ApiServer.Security.Authorization;

namespace Kybernet.ApiServer.Security.Rbac;

/// <summary>
/// Whether a policy rule allows a request, with upstream's matching: "*" matches any verb, group and
/// resource; "RESOURCE/SUB", "*/SUB" and "RESOURCE/*" match subresources; resourceNames restrict to
/// named objects (so never a list or a create, which name none); nonResourceURLs match exactly or, when
/// they end with "*", by prefix.
/// </summary>
public static class RuleMatcher
{
    public static bool Allows(PolicyRule rule, RequestAttributes request) =>
        request.IsResourceRequest
            ? VerbMatches(rule, request.Verb) && GroupMatches(rule, request.ApiGroup) && ResourceMatches(rule, request.Resource, request.Subresource) && NameMatches(rule, request.Name)
            : VerbMatches(rule, request.Verb) && PathMatches(rule, request.Path);

    public static bool VerbMatches(PolicyRule rule, string verb) => rule.Verbs.Any(v => v == "*" || v == verb);

    public static bool GroupMatches(PolicyRule rule, string group) => rule.ApiGroups.Any(g => g == "*" || g == group);

    public static bool ResourceMatches(PolicyRule rule, string resource, string subresource)
    {
        var combined = subresource.Length == 0 ? resource : $"{resource}/{subresource}";
        foreach (var r in rule.Resources)
        {
            if (r == "*" || r == combined)
                return true;
            if (subresource.Length > 0 && (r == "*/" + subresource || r == resource + "/*"))
                return true;
        }
        return false;
    }

    public static bool NameMatches(PolicyRule rule, string name) =>
        rule.ResourceNames.Count == 0 || (name.Length > 0 && rule.ResourceNames.Contains(name));

    public static bool PathMatches(PolicyRule rule, string path)
    {
        foreach (var url in rule.NonResourceUrls)
        {
            if (url == "*" || url == path)
                return true;
            if (url.EndsWith('*') && path.StartsWith(url[..^1], StringComparison.Ordinal))
                return true;
        }
        return false;
    }
}
