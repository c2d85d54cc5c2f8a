namespace Kybernet.Cni.Protocol;

/// <summary>What CNI_COMMAND asks of a plugin (the spec calls it the desired operation).</summary>
public enum CniOperation
{
    Add,
    Del,
    Check,
    Version,
    Status,
    Gc,
}
