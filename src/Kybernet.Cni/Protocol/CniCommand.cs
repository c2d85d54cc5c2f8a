namespace Kybernet.Cni.Protocol;

public enum CniCommand
{
    Add,
    Del,
    Check,
    Version,
    Status,
    Gc,
}
