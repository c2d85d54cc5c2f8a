using System.Net;

namespace Kybernet.Cni.Plugins.HostLocal;

/// <summary>One reserved address and the attachment that holds it.</summary>
public sealed record Reservation(IPAddress Address, Attachment Owner);
