namespace Kybernet.Controllers.Deployments;

/// <summary>kube-controller-manager's settings of the deployment controller.</summary>
public sealed record DeploymentControllerOptions
{
    /// <summary>--concurrent-deployment-syncs: Deployments reconciled at once (upstream's default is 5; our machines are small).</summary>
    public int Workers { get; init; } = 2;

    /// <summary>The clock conditions are stamped with and deadlines measured by.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
