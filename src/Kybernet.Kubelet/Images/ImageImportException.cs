namespace Kybernet.Kubelet.Images;

/// <summary>An image archive containerd did not take; the message carries ctr's own.</summary>
public sealed class ImageImportException(string message) : Exception(message);
