using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Tests.Security;

/// <summary>
/// Identities and RBAC as a user meets them with the real kubectl: the admin may do anything; a
/// ServiceAccount's token may do exactly what its RoleBinding grants, and 403s say why in upstream's
/// words; impersonation, can-i --list and whoami tell the truth for each identity.
/// </summary>
public sealed class RbacKubectlTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private Kubectl Kubectl => server.Kubectl;

    private const string Bot = """
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: bot, namespace: default}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: bot-pod-reader, namespace: default}
        rules:
        - apiGroups: [""]
          resources: [pods]
          verbs: [get, list]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: bot-reads-pods, namespace: default}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: bot-pod-reader}
        subjects:
        - {kind: ServiceAccount, name: bot, namespace: default}
        """;

    [Fact]
    public async Task The_admin_can_do_anything_and_is_kubernetes_admin_in_system_masters()
    {
        Assert.True(await CanI(null, "create", "pods", "default"));
        Assert.True(await CanI(null, "delete", "nodes", ""));
        var whoami = await WhoAmI(null);
        Assert.Equal("kubernetes-admin", (string)whoami["username"]!);
        Assert.Contains("system:masters", whoami["groups"]!.AsArray().Select(g => (string)g!));
        var rules = await RulesReview(null, "default");
        Assert.Contains(rules["resourceRules"]!.AsArray(), r => r!["verbs"]![0]!.ToString() == "*" && r["resources"]![0]!.ToString() == "*");
    }

    [Fact]
    public async Task A_service_account_token_can_do_what_its_role_binding_grants_and_nothing_else()
    {
        Kubectl.OkWith(Bot.Replace("bot", "reader"), "create", "-f", "-");
        var token = await CreateToken("reader");

        // The binding reaches the authorizer through its watch: wait (bounded) until it has.
        WaitUntil(() => Kubectl.Run("--token", token, "get", "pods", "-n", "default").ExitCode == 0);

        var secrets = Kubectl.Run("--token", token, "get", "secrets", "-n", "default");
        Assert.NotEqual(0, secrets.ExitCode);
        Assert.Contains("Error from server (Forbidden): secrets is forbidden: User \"system:serviceaccount:default:reader\" cannot list resource \"secrets\" in API group \"\" in the namespace \"default\"", secrets.Stderr);

        var elsewhere = Kubectl.Run("--token", token, "get", "pods", "-n", "kube-system");
        Assert.NotEqual(0, elsewhere.ExitCode);
        Assert.Contains("pods is forbidden: User \"system:serviceaccount:default:reader\" cannot list resource \"pods\" in API group \"\" in the namespace \"kube-system\"", elsewhere.Stderr);

        var one = Kubectl.Run("--token", token, "get", "secret", "anything", "-n", "default");
        Assert.Contains("secrets \"anything\" is forbidden: User \"system:serviceaccount:default:reader\" cannot get resource \"secrets\"", one.Stderr);

        // Impersonated by the admin (kubectl --as), the service account gets the same answers.
        Kubectl.Ok("--as=system:serviceaccount:default:reader", "get", "pods");
        Assert.Contains("secrets is forbidden", Kubectl.Run("--as=system:serviceaccount:default:reader", "get", "secrets").Stderr);

        Assert.True(await CanI(token, "list", "pods", "default"));
        Assert.False(await CanI(token, "list", "secrets", "default"));
        Assert.False(await CanI(token, "delete", "pods", "default"));
        Assert.False(await CanI(token, "list", "pods", "kube-system"));

        var whoami = await WhoAmI(token);
        Assert.Equal("system:serviceaccount:default:reader", (string)whoami["username"]!);
        Assert.Equal(["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"], whoami["groups"]!.AsArray().Select(g => (string)g!));

        var rules = await RulesReview(token, "default");
        Assert.Contains(rules["resourceRules"]!.AsArray(), r => r!["resources"]!.ToJsonString() == "[\"pods\"]" && r["verbs"]!.ToJsonString() == "[\"get\",\"list\"]");
        Assert.DoesNotContain(rules["resourceRules"]!.AsArray(), r => r!["resources"]!.ToJsonString() == "[\"*\"]");
    }

    [Fact]
    public async Task A_token_stops_working_when_its_service_account_is_deleted()
    {
        Kubectl.OkWith(Bot.Replace("bot", "shortlived"), "create", "-f", "-");
        var token = await CreateToken("shortlived");
        WaitUntil(() => Kubectl.Run("--token", token, "get", "pods").ExitCode == 0);
        Kubectl.Ok("delete", "serviceaccount", "shortlived");
        var refused = Kubectl.Run("--token", token, "get", "pods");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("You must be logged in to the server (Unauthorized)", refused.Stderr);
    }

    [Fact]
    public async Task A_bad_token_and_no_token_are_401()
    {
        var bad = Kubectl.Run("--token", "not-a-token", "get", "pods");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("You must be logged in to the server", bad.Stderr + "\n" + bad);
        var (status, body) = await Send(HttpMethod.Get, "/api/v1/namespaces/default/pods", token: "");
        Assert.Equal(401, status);
        Assert.Equal("Unauthorized", (string)body["reason"]!);
        Assert.Equal(200, (await Send(HttpMethod.Get, "/version", token: "")).Status);
    }

    [Fact]
    public async Task Impersonating_needs_the_impersonate_verb()
    {
        Kubectl.OkWith(Bot.Replace("bot", "mimic"), "create", "-f", "-");
        var token = await CreateToken("mimic");
        WaitUntil(() => Kubectl.Run("--token", token, "get", "pods").ExitCode == 0);
        var refused = Kubectl.Run("--token", token, "--as=kubernetes-admin", "get", "pods");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("users \"kubernetes-admin\" is forbidden: User \"system:serviceaccount:default:mimic\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope", refused.Stderr);
        // The admin (system:masters) may impersonate anyone, groups included.
        Kubectl.Ok("--as=someone", "--as-group=system:masters", "get", "secrets");
        Assert.Contains("User \"someone\" cannot list resource \"secrets\"", Kubectl.Run("--as=someone", "get", "secrets").Stderr);
    }

    [Fact]
    public void The_default_cluster_roles_and_bindings_exist_and_are_served_with_tables()
    {
        var roles = Kubectl.Ok("get", "clusterroles");
        foreach (var name in new[] { "cluster-admin", "admin", "edit", "view", "system:node", "system:kube-controller-manager", "system:discovery" })
            Assert.Contains(name, roles);
        Assert.Contains("CREATED AT", roles);
        var bindings = Kubectl.Ok("get", "clusterrolebindings", "-o", "wide");
        Assert.Matches(@"cluster-admin\s+ClusterRole/cluster-admin\s+\S+\s+system:masters", bindings);
        Assert.Contains("rbac-defaults", Kubectl.Ok("get", "clusterrole", "view", "--show-labels"));
        Assert.Contains("nonResourceURLs", Kubectl.Ok("explain", "clusterrole.rules"));
        // view is aggregated from system:aggregate-to-view.
        Assert.Contains("pods/log", Kubectl.Ok("get", "clusterrole", "view", "-o", "yaml"));
    }

    [Fact]
    public void A_role_bindings_role_ref_cannot_change()
    {
        Kubectl.OkWith(Bot.Replace("bot", "fixed"), "create", "-f", "-");
        var changed = Kubectl.RunWith("""
            {"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"}}
            """, "patch", "rolebinding", "fixed-reads-pods", "--type=merge", "--patch-file=/dev/stdin");
        Assert.NotEqual(0, changed.ExitCode);
        Assert.Contains("cannot change roleRef", changed.Stderr);
        var bad = Kubectl.RunWith("""
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: broken}
            rules:
            - resources: [pods]
            """, "create", "-f", "-");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("rules[0].verbs", bad.Stderr);
        Assert.Contains("rules[0].apiGroups", bad.Stderr);
    }

    [Fact]
    public async Task A_user_may_grant_only_what_it_holds()
    {
        Kubectl.OkWith("""
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: granter, namespace: default}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: granter, namespace: default}
            rules:
            - {apiGroups: [rbac.authorization.k8s.io], resources: [roles, rolebindings], verbs: [create, get]}
            - {apiGroups: [""], resources: [pods], verbs: [get, list]}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: granter, namespace: default}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: granter}
            subjects: [{kind: ServiceAccount, name: granter, namespace: default}]
            """, "create", "-f", "-");
        var token = await CreateToken("granter");
        WaitUntil(() => Kubectl.Run("--token", token, "get", "pods").ExitCode == 0);

        Kubectl.OkWith("""
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"held","namespace":"default"},
             "rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]}
            """, "--token", token, "create", "-f", "-");
        var escalating = Kubectl.RunWith("""
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"more","namespace":"default"},
             "rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get","delete"]}]}
            """, "--token", token, "create", "-f", "-");
        Assert.NotEqual(0, escalating.ExitCode);
        Assert.Contains("roles.rbac.authorization.k8s.io \"more\" is forbidden: user \"system:serviceaccount:default:granter\"", escalating.Stderr);
        Assert.Contains("is attempting to grant RBAC permissions not currently held", escalating.Stderr);

        var toAdmin = Kubectl.RunWith("""
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"to-admin","namespace":"default"},
             "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},
             "subjects":[{"kind":"ServiceAccount","name":"granter","namespace":"default"}]}
            """, "--token", token, "create", "-f", "-");
        Assert.NotEqual(0, toAdmin.ExitCode);
        Assert.Contains("rolebindings.rbac.authorization.k8s.io \"to-admin\" is forbidden", toAdmin.Stderr);

        WaitUntil(() => Kubectl.Run("get", "role", "held").ExitCode == 0);
        Kubectl.OkWith("""
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"to-held","namespace":"default"},
             "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"held"},
             "subjects":[{"kind":"ServiceAccount","name":"granter","namespace":"default"}]}
            """, "--token", token, "create", "-f", "-");
    }

    /// <summary>
    /// Ways around "grant only what you hold" that upstream closes: an aggregation rule (which may gather
    /// cluster-admin's rules later), a binding to a role that does not exist yet, and server-side apply
    /// creating what the user may only patch.
    /// </summary>
    [Fact]
    public async Task Aggregation_rules_bindings_to_missing_roles_and_apply_creates_need_their_own_rights()
    {
        Kubectl.OkWith("""
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: aggregator, namespace: default}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: aggregator-writes-rbac}
            rules:
            - {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles, clusterrolebindings], verbs: [create, get, update, patch]}
            - {apiGroups: [""], resources: [configmaps], verbs: [get, patch]}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: aggregator-writes-rbac}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: aggregator-writes-rbac}
            subjects: [{kind: ServiceAccount, name: aggregator, namespace: default}]
            """, "create", "-f", "-");
        var token = await CreateToken("aggregator");
        WaitUntil(() => Kubectl.Run("--token", token, "get", "clusterrole", "aggregator-writes-rbac").ExitCode == 0);

        var aggregated = Kubectl.RunWith("""
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"gathers-everything"},
             "aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"kubernetes.io/bootstrapping":"rbac-defaults"}}]}}
            """, "--token", token, "create", "-f", "-");
        Assert.NotEqual(0, aggregated.ExitCode);
        Assert.Contains("is attempting to grant RBAC permissions not currently held", aggregated.Stderr);

        var toMissing = Kubectl.RunWith("""
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"to-a-future-role"},
             "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"installed-later"},
             "subjects":[{"kind":"ServiceAccount","name":"aggregator","namespace":"default"}]}
            """, "--token", token, "create", "-f", "-");
        Assert.NotEqual(0, toMissing.ExitCode);
        Assert.Contains("clusterrolebindings.rbac.authorization.k8s.io \"to-a-future-role\" is forbidden", toMissing.Stderr);

        var applied = Kubectl.RunWith("""
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"made-by-apply","namespace":"default"}}
            """, "--token", token, "apply", "--server-side", "-f", "-");
        Assert.NotEqual(0, applied.ExitCode);
        Assert.Contains("cannot create resource \"configmaps\"", applied.Stderr);
        Assert.Contains("NotFound", Kubectl.Run("get", "configmap", "made-by-apply").Stderr);

        // A node reads secrets (its kubelet mounts them and resolves secretKeyRef) but may not write them nor mint
        // service account tokens; there is no Node authorizer yet to narrow the reads to its own pods' secrets.
        string[] node = ["--as=system:node:somewhere", "--as-group=system:nodes"];
        Assert.Equal("yes", Kubectl.Run(["auth", "can-i", "list", "secrets", "-A", .. node]).Stdout.Trim());
        Assert.Equal("no", Kubectl.Run(["auth", "can-i", "update", "secrets", "-n", "default", .. node]).Stdout.Trim());
        Assert.Equal("no", Kubectl.Run(["auth", "can-i", "create", "serviceaccounts/token", "-n", "kube-system", .. node]).Stdout.Trim());
        Assert.Equal("yes", Kubectl.Run(["auth", "can-i", "watch", "pods", "-A", .. node]).Stdout.Trim());
    }

    [Fact]
    public void The_generators_create_a_service_account_a_role_a_binding_and_a_token()
    {
        Kubectl.Ok("create", "serviceaccount", "gen");
        Kubectl.Ok("create", "role", "gen-pod-reader", "--verb=get,list", "--resource=pods");
        Kubectl.Ok("create", "rolebinding", "gen-reads-pods", "--role=gen-pod-reader", "--serviceaccount=default:gen");
        var token = Kubectl.Ok("create", "token", "gen").Trim();
        WaitUntil(() => Kubectl.Run("--token", token, "get", "pods").ExitCode == 0);
        var secrets = Kubectl.Run("--token", token, "get", "secrets");
        Assert.Contains("secrets is forbidden: User \"system:serviceaccount:default:gen\" cannot list resource \"secrets\"", secrets.Stderr);
        Assert.Contains("system:serviceaccount:default:gen", Kubectl.Ok("--token", token, "auth", "whoami"));
    }

    [Fact]
    public void Create_token_binds_to_a_pod()
    {
        Kubectl.Ok("create", "serviceaccount", "podbound");
        Kubectl.Ok("run", "holder", "--image=busybox", "--overrides={\"spec\":{\"serviceAccountName\":\"podbound\"}}");
        var token = Kubectl.Ok("create", "token", "podbound", "--bound-object-kind", "Pod", "--bound-object-name", "holder").Trim();
        Assert.Contains("authentication.kubernetes.io/pod-name", Kubectl.Ok("--token", token, "auth", "whoami", "-o", "yaml"));
        Kubectl.Ok("delete", "pod", "holder", "--grace-period=0", "--force");
        Assert.Contains("Unauthorized", Kubectl.Run("--token", token, "auth", "whoami").Stderr);
    }

    [Fact]
    public void Kubectl_auth_can_i_and_whoami_answer_for_the_admin_and_for_a_service_account()
    {
        Assert.Equal("yes", Kubectl.Ok("auth", "can-i", "create", "pods").Trim());
        Assert.Contains("*.*", Kubectl.Ok("auth", "can-i", "--list"));
        var whoami = Kubectl.Ok("auth", "whoami");
        Assert.Contains("kubernetes-admin", whoami);
        Assert.Contains("system:masters", whoami);
        Kubectl.OkWith(Bot.Replace("bot", "asker"), "create", "-f", "-");
        WaitUntil(() => Kubectl.Run("auth", "can-i", "list", "pods", "--as=system:serviceaccount:default:asker").Stdout.Trim() == "yes");
        Assert.Equal("no", Kubectl.Run("auth", "can-i", "list", "secrets", "--as=system:serviceaccount:default:asker").Stdout.Trim());
        var token = Kubectl.Ok("create", "token", "asker").Trim();
        Assert.Contains("system:serviceaccount:default:asker", Kubectl.Ok("--token", token, "auth", "whoami"));
        Assert.Matches(@"pods\s+\[\]\s+\[\]\s+\[get list\]", Kubectl.Ok("--token", token, "auth", "can-i", "--list"));
    }

    /// <summary>A token from serviceaccounts/NAME/token, asked in JSON (kubectl create token sends protobuf).</summary>
    private async Task<string> CreateToken(string account)
    {
        using var api = new ApiClient(server.DataDirectory, server.Server.Url);
        var (status, body) = await api.Post($"/api/v1/namespaces/default/serviceaccounts/{account}/token", new JsonObject
        {
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["kind"] = "TokenRequest",
            ["spec"] = new JsonObject(),
        });
        Assert.True(status == 201, body.ToJsonString());
        return (string)body["status"]!["token"]!;
    }

    private async Task<bool> CanI(string? token, string verb, string resource, string ns)
    {
        var (status, body) = await Send(HttpMethod.Post, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", new JsonObject
        {
            ["apiVersion"] = "authorization.k8s.io/v1",
            ["kind"] = "SelfSubjectAccessReview",
            ["spec"] = new JsonObject { ["resourceAttributes"] = new JsonObject { ["verb"] = verb, ["resource"] = resource, ["namespace"] = ns } },
        }, token);
        Assert.True(status == 201, body.ToJsonString());
        return (bool)body["status"]!["allowed"]!;
    }

    private async Task<JsonObject> WhoAmI(string? token)
    {
        var (status, body) = await Send(HttpMethod.Post, "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            new JsonObject { ["apiVersion"] = "authentication.k8s.io/v1", ["kind"] = "SelfSubjectReview" }, token);
        Assert.True(status == 201, body.ToJsonString());
        return (JsonObject)body["status"]!["userInfo"]!;
    }

    private async Task<JsonObject> RulesReview(string? token, string ns)
    {
        var (status, body) = await Send(HttpMethod.Post, "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", new JsonObject
        {
            ["apiVersion"] = "authorization.k8s.io/v1",
            ["kind"] = "SelfSubjectRulesReview",
            ["spec"] = new JsonObject { ["namespace"] = ns },
        }, token);
        Assert.True(status == 201, body.ToJsonString());
        return (JsonObject)body["status"]!;
    }

    /// <summary>A JSON request as the admin (token null), as a token, or with no credentials (token "").</summary>
    private async Task<(int Status, JsonObject Body)> Send(HttpMethod method, string path, JsonNode? body = null, string? token = null)
    {
        using var api = new ApiClient(server.DataDirectory, server.Server.Url);
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
            request.Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        if (token is not null)
            api.Http.DefaultRequestHeaders.Authorization = token.Length == 0 ? null : new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var response = await api.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 || text[0] != '{' ? new JsonObject() : (JsonObject)JsonNode.Parse(text)!);
    }

    /// <summary>Polls (bounded, 10 s) until the condition holds; fails the test if it never does.</summary>
    private static void WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 10 s");
            Thread.Sleep(50);
        }
    }
}
