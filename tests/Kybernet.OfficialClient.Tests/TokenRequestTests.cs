using System.Net;

namespace Kybernet.OfficialClient.Tests;

/// <summary>
/// A token asked for through TokenRequest (serviceaccounts/token) authenticates the client as the
/// service account, with exactly the rights RBAC gives that account: what its role grants, in its
/// namespace, and nothing else.
/// </summary>
public sealed class TokenRequestTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task A_requested_token_has_exactly_the_rights_of_its_role()
    {
        using var admin = OfficialClient.Admin(server);
        var ns = await OfficialClient.NewNamespaceAsync(admin, "token");
        await admin.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "bot" } }, ns);
        await admin.RbacAuthorizationV1.CreateNamespacedRoleAsync(new V1Role
        {
            Metadata = new V1ObjectMeta { Name = "pod-reader" },
            Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["pods"], Verbs = ["get", "list"] }],
        }, ns);
        await admin.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "bot-reads-pods" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = "pod-reader" },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = "bot", NamespaceProperty = ns }],
        }, ns);
        await admin.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "not-for-bot" } }, ns);

        var request = await admin.CoreV1.CreateNamespacedServiceAccountTokenAsync(
            new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { ExpirationSeconds = 3600 } }, "bot", ns);
        Assert.False(string.IsNullOrEmpty(request.Status.Token));
        Assert.True(request.Status.ExpirationTimestamp > DateTime.UtcNow.AddMinutes(50));

        using var bot = AsToken(request.Status.Token);
        var whoami = await bot.AuthenticationV1.CreateSelfSubjectReviewAsync(new V1SelfSubjectReview());
        Assert.Equal($"system:serviceaccount:{ns}:bot", whoami.Status.UserInfo.Username);
        Assert.Contains($"system:serviceaccounts:{ns}", whoami.Status.UserInfo.Groups);

        // What the role grants: waits for the binding to reach the authorizer's cache (a watch away).
        var pods = await Eventually(() => bot.CoreV1.ListNamespacedPodAsync(ns));
        Assert.Empty(pods.Items);

        // And nothing more: another resource, another verb, another namespace.
        await AssertForbidden(() => bot.CoreV1.ListNamespacedConfigMapAsync(ns), $"configmaps is forbidden: User \"system:serviceaccount:{ns}:bot\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"{ns}\"");
        await AssertForbidden(() => bot.CoreV1.CreateNamespacedPodAsync(new V1Pod { Metadata = new V1ObjectMeta { Name = "p" }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox" }] } }, ns), "cannot create resource \"pods\"");
        await AssertForbidden(() => bot.CoreV1.ListNamespacedPodAsync("default"), "in the namespace \"default\"");
        await AssertForbidden(() => bot.CoreV1.ListNodeAsync(), "cannot list resource \"nodes\" in API group \"\" at the cluster scope");

        // The access reviews agree with what the requests met.
        Assert.True(await Can(bot, "list", "pods", ns));
        Assert.True(await Can(bot, "get", "pods", ns));
        Assert.False(await Can(bot, "delete", "pods", ns));
        Assert.False(await Can(bot, "list", "secrets", ns));
        Assert.False(await Can(bot, "list", "pods", "default"));

        // Deleting the account ends the token.
        await admin.CoreV1.DeleteNamespacedServiceAccountAsync("bot", ns);
        var gone = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => bot.CoreV1.ListNamespacedPodAsync(ns));
        Assert.Equal(HttpStatusCode.Unauthorized, gone.Response.StatusCode);
    }

    private Kubernetes AsToken(string token)
    {
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(server.Server.KubeconfigPath);
        return new Kubernetes(new KubernetesClientConfiguration { Host = config.Host, SslCaCerts = config.SslCaCerts, AccessToken = token });
    }

    private static async Task<bool> Can(Kubernetes client, string verb, string resource, string ns)
    {
        var review = await client.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(new V1SelfSubjectAccessReview
        {
            Spec = new V1SelfSubjectAccessReviewSpec { ResourceAttributes = new V1ResourceAttributes { Verb = verb, Resource = resource, NamespaceProperty = ns } },
        });
        return review.Status.Allowed;
    }

    private static async Task AssertForbidden(Func<Task> call, string message)
    {
        var error = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(call);
        Assert.Equal(HttpStatusCode.Forbidden, error.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(error.Response.Content);
        Assert.Equal("Forbidden", status.Reason);
        Assert.Contains(message, status.Message);
    }

    /// <summary>A call that is forbidden until a new binding reaches the authorizer; bounded, never timed.</summary>
    private static async Task<T> Eventually<T>(Func<Task<T>> call)
    {
        for (var attempt = 0; ; attempt++)
        {
            try { return await call(); }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Forbidden && attempt < 100)
            {
                await Task.Delay(50);
            }
        }
    }
}
