using Kybernet.ApiServer.Security;
using Kybernet.ApiServer.Security.Authorization;

namespace Kybernet.ApiServer.Tests.Security.Authorization;

public sealed class RequestAttributesParserTests
{
    private static RequestAttributes Parse(string method, string path, string? watch = null, string? fieldSelector = null) =>
        RequestAttributesParser.Parse(UserInfo.Admin, method, path, key => key switch { "watch" => watch, "fieldSelector" => fieldSelector, _ => null });

    [Theory]
    [InlineData("GET", "/api/v1/namespaces/default/pods", "list", "", "pods", "", "default", "")]
    [InlineData("GET", "/api/v1/namespaces/default/pods/web", "get", "", "pods", "", "default", "web")]
    [InlineData("PUT", "/api/v1/namespaces/default/pods/web/status", "update", "", "pods", "status", "default", "web")]
    [InlineData("POST", "/apis/apps/v1/namespaces/x/deployments", "create", "apps", "deployments", "", "x", "")]
    [InlineData("PATCH", "/apis/apps/v1/namespaces/x/deployments/d/scale", "patch", "apps", "deployments", "scale", "x", "d")]
    [InlineData("DELETE", "/api/v1/namespaces/x/configmaps", "deletecollection", "", "configmaps", "", "x", "")]
    [InlineData("DELETE", "/api/v1/nodes/n1", "delete", "", "nodes", "", "", "n1")]
    [InlineData("GET", "/api/v1/pods", "list", "", "pods", "", "", "")]
    [InlineData("GET", "/api/v1/namespaces/team", "get", "", "namespaces", "", "team", "team")]
    [InlineData("PUT", "/api/v1/namespaces/team/finalize", "update", "", "namespaces", "finalize", "team", "team")]
    [InlineData("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", "create", "authorization.k8s.io", "selfsubjectaccessreviews", "", "", "")]
    public void Resource_requests(string method, string path, string verb, string group, string resource, string subresource, string ns, string name)
    {
        var a = Parse(method, path);
        Assert.True(a.IsResourceRequest);
        Assert.Equal((verb, group, resource, subresource, ns, name), (a.Verb, a.ApiGroup, a.Resource, a.Subresource, a.Namespace, a.Name));
    }

    [Fact]
    public void A_watch_and_a_list_of_one_name()
    {
        Assert.Equal("watch", Parse("GET", "/api/v1/namespaces/x/pods", watch: "true").Verb);
        var one = Parse("GET", "/api/v1/namespaces/x/pods", watch: "1", fieldSelector: "metadata.name=web");
        Assert.Equal(("watch", "web"), (one.Verb, one.Name));
    }

    [Theory]
    [InlineData("GET", "/api", "get")]
    [InlineData("GET", "/api/v1", "get")]
    [InlineData("GET", "/apis/apps", "get")]
    [InlineData("GET", "/apis/apps/v1", "get")]
    [InlineData("GET", "/openapi/v3/apis/apps/v1", "get")]
    [InlineData("POST", "/version", "post")]
    public void Non_resource_requests(string method, string path, string verb)
    {
        var a = Parse(method, path);
        Assert.False(a.IsResourceRequest);
        Assert.Equal((verb, path), (a.Verb, a.Path));
    }

    [Fact]
    public void Forbidden_messages_are_upstreams()
    {
        var bot = new UserInfo("system:serviceaccount:default:x", []);
        Assert.Equal("pods is forbidden: User \"system:serviceaccount:default:x\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"",
            Authorizer.Forbidden(RequestAttributes.ForResource(bot, "list", "", "pods", ns: "default")).Message);
        Assert.Equal("deployments.apps \"d\" is forbidden: User \"system:serviceaccount:default:x\" cannot update resource \"deployments/scale\" in API group \"apps\" in the namespace \"x\"",
            Authorizer.Forbidden(RequestAttributes.ForResource(bot, "update", "apps", "deployments", "scale", "x", "d")).Message);
        Assert.Equal("nodes is forbidden: User \"system:serviceaccount:default:x\" cannot list resource \"nodes\" in API group \"\" at the cluster scope",
            Authorizer.Forbidden(RequestAttributes.ForResource(bot, "list", "", "nodes")).Message);
        Assert.Equal("forbidden: User \"system:serviceaccount:default:x\" cannot get path \"/metrics\"",
            Authorizer.Forbidden(RequestAttributes.ForPath(bot, "get", "/metrics")).Message);
    }
}
