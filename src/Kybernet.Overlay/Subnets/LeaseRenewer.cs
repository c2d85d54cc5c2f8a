using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Overlay.Subnets;

/// <summary>
/// Keeps a lease alive: renews it when <see cref="RenewMargin"/> of its TTL is left (flannel renews 1 h before a
/// 24 h lease expires; here the margin is TTL-relative, a third of the TTL by default, so a failed renewal has
/// time for retries). A failed renewal (store unreachable) is retried every <see cref="RetryInterval"/>, also past
/// expiry, where renewing re-creates the key if the subnet is still free; <see cref="SubnetLostException"/> ends
/// the loop at once, thrown from <see cref="RunAsync"/> (the node must acquire a new subnet).
/// <see cref="RunAsync"/> returns normally when cancelled.
/// </summary>
public sealed class LeaseRenewer(ISubnetManager manager, SubnetLease lease, TimeSpan ttl)
{
    private SubnetLease _current = lease;

    /// <summary>How long before expiry to renew; default a third of the TTL.</summary>
    public TimeSpan RenewMargin { get; init; } = ttl / 3;

    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(Math.Clamp(ttl.TotalSeconds / 10, 0.2, 10));

    /// <summary>Failed renewals (each one, with why); nothing by default.</summary>
    public ILogger Log { get; init; } = NullLogger.Instance;

    /// <summary>The lease as last renewed.</summary>
    public SubnetLease Current => Volatile.Read(ref _current);

    /// <summary>Called after each successful renewal.</summary>
    public event Action<SubnetLease>? Renewed;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var due = Current.Expiration - RenewMargin - DateTimeOffset.UtcNow;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, cancellationToken);
                }
                await RenewOnceAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task RenewOnceAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                var renewed = await manager.RenewLeaseAsync(Current, cancellationToken);
                Volatile.Write(ref _current, renewed);
                Renewed?.Invoke(renewed);
                return;
            }
            catch (Exception e) when (e is not SubnetLostException and not OperationCanceledException)
            {
                // The store may be briefly unreachable; keep trying. Past expiry, renew re-creates the key if it is still free.
                Log.LogWarning("renewing lease {Subnet} failed (retrying in {Seconds} s): {Error}", Current.Subnet, RetryInterval.TotalSeconds, e.Message);
                await Task.Delay(RetryInterval, cancellationToken);
            }
        }
    }
}
