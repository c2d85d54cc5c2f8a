namespace Kybernet.ApiServer.Tests;

/// <summary>The YAML a user would write, parameterised by namespace and name.</summary>
public static class Manifests
{
    public static string Namespace(string name) => $"""
        apiVersion: v1
        kind: Namespace
        metadata:
          name: {name}
        """;

    public static string Pod(string ns, string name, string image = "nginx:1.27", string labels = "app: web") => $"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: {name}
          namespace: {ns}
          labels:
            {labels}
        spec:
          containers:
          - name: web
            image: {image}
            ports:
            - containerPort: 80
        """;

    public static string Deployment(string ns, string name, int replicas = 2, string image = "nginx:1.27", string tier = "frontend") => $"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {name}
          namespace: {ns}
          labels:
            tier: {tier}
        spec:
          replicas: {replicas}
          selector:
            matchLabels:
              app: {name}
          template:
            metadata:
              labels:
                app: {name}
            spec:
              containers:
              - name: web
                image: {image}
        """;

    public static string Service(string ns, string name) => $"""
        apiVersion: v1
        kind: Service
        metadata:
          name: {name}
          namespace: {ns}
        spec:
          selector:
            app: {name}
          ports:
          - port: 80
            targetPort: 8080
        """;

    public static string ConfigMap(string ns, string name) => $"""
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: {name}
          namespace: {ns}
        data:
          a: "1"
          b: "2"
        """;
}
