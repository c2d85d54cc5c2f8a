namespace Kybernet.Kubelet.Images;

/// <summary>The OCI image specification's media types and the annotations containerd reads an image's name from.</summary>
public static class OciMediaTypes
{
    public const string Index = "application/vnd.oci.image.index.v1+json";
    public const string Manifest = "application/vnd.oci.image.manifest.v1+json";
    public const string Config = "application/vnd.oci.image.config.v1+json";
    public const string GzipLayer = "application/vnd.oci.image.layer.v1.tar+gzip";

    /// <summary>containerd's own annotation: the full reference an imported manifest is named by.</summary>
    public const string ContainerdImageName = "io.containerd.image.name";

    /// <summary>The OCI layout's annotation: the tag (other tools read only this one).</summary>
    public const string RefName = "org.opencontainers.image.ref.name";
}
