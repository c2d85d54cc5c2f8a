namespace Kybernet.Controllers.LeaderElection;

/// <summary>kube-controller-manager's --leader-elect-* flags, with upstream's defaults.</summary>
public sealed record LeaderElectionOptions
{
    /// <summary>--leader-elect-resource-namespace.</summary>
    public string LeaseNamespace { get; init; } = "kube-system";

    /// <summary>--leader-elect-resource-name.</summary>
    public string LeaseName { get; init; } = "kube-controller-manager";

    /// <summary>Who we are in the lease's holderIdentity: upstream's HOSTNAME_UUID, unique per process.</summary>
    public string Identity { get; init; } = NewIdentity();

    /// <summary>--leader-elect-lease-duration: how long others wait, from when they last saw the lease renewed, before taking it.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>--leader-elect-renew-deadline: how long the leader keeps trying to renew before it gives up leading.</summary>
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>--leader-elect-retry-period: how often candidates try to acquire, and the leader renews.</summary>
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Whether a leader that stops on purpose hands the lease back (holder cleared), so another takes over at once instead
    /// of after <see cref="LeaseDuration"/>. Never on a crash, by definition.
    /// </summary>
    public bool ReleaseOnStop { get; init; }

    /// <summary>The clock (tests may use a fake one).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    public static string NewIdentity() => $"{Environment.MachineName}_{Guid.NewGuid()}";

    /// <summary>Throws <see cref="ArgumentException"/> unless the durations are ordered as upstream requires.</summary>
    public void Validate()
    {
        if (RetryPeriod <= TimeSpan.Zero)
            throw new ArgumentException($"the leader election retry period ({RetryPeriod.TotalSeconds} s) must be positive");
        if (RenewDeadline <= RetryPeriod)
            throw new ArgumentException($"the leader election renew deadline ({RenewDeadline.TotalSeconds} s) must be longer than the retry period ({RetryPeriod.TotalSeconds} s)");
        if (LeaseDuration <= RenewDeadline)
            throw new ArgumentException($"the leader election lease duration ({LeaseDuration.TotalSeconds} s) must be longer than the renew deadline ({RenewDeadline.TotalSeconds} s)");
    }
}
