namespace Kybernet.Kubelet.Pods;

/// <summary>imagePullPolicy's default when the pod does not say (the API server usually defaults it the same way).</summary>
public static class ImagePolicy
{
    /// <summary>Always for an image with no tag or the tag latest, IfNotPresent otherwise (a digest counts as a tag).</summary>
    public static string Default(string image)
    {
        if (image.Contains('@'))
            return "IfNotPresent";
        var lastSlash = image.LastIndexOf('/');
        var colon = image.IndexOf(':', lastSlash + 1);
        return colon < 0 || image[(colon + 1)..] == "latest" ? "Always" : "IfNotPresent";
    }
}
