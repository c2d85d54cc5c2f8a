namespace Kybernet.Controllers.TaintEviction;

/// <summary>How the taint eviction controller runs.</summary>
public sealed record TaintEvictionOptions
{
    /// <summary>How long to wait before retrying a pod after an API call failed.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The clock (tests may use a fake one).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
