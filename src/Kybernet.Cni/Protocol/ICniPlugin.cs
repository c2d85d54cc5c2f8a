namespace Kybernet.Cni.Protocol;

/// <summary>What one invocation hands a plugin: the validated environment and config.</summary>
public sealed record CniRequest(CniEnvironment Environment, CniNetworkConfig Config);

/// <summary>
/// A CNI plugin. ADD returns its result; DEL must be idempotent and succeed when the namespace is
/// gone; CHECK compares prevResult with the kernel; STATUS and GC (spec 1.1) default to "nothing to do".
/// </summary>
public interface ICniPlugin
{
    /// <summary>The executable name, e.g. "kybernet-bridge".</summary>
    string Name { get; }

    CniResult Add(CniRequest request);

    void Del(CniRequest request);

    void Check(CniRequest request);

    void Status(CniRequest request) { }

    void Gc(CniRequest request) { }
}
