using k8s;
using k8s.Models;
using Kybernet.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Controllers.LeaderElection;

/// <summary>
/// client-go's leader election on a coordination.k8s.io/v1 Lease. Candidates try every retry period to take the lease:
/// it is free when it does not exist, names no holder, or has not changed for its leaseDurationSeconds by the
/// candidate's own clock (upstream's rule: the time a lease was <em>observed</em> to change counts, never the holder's
/// clock). Taking it sets holderIdentity, acquireTime, renewTime and counts one more leaseTransitions; the leader renews
/// renewTime every retry period. Every write carries the resourceVersion it was decided on, so of two candidates only
/// one wins. A leader that cannot renew within the renew deadline, or sees another holder, stops leading at once (its
/// work is cancelled before anything else happens) and becomes a candidate again.
/// </summary>
public sealed class LeaderElector
{
    private readonly IKubernetes _client;
    private readonly LeaderElectionOptions _options;
    private readonly ILogger _log;
    private string? _observedVersion;
    private DateTimeOffset _observedAt;
    private volatile bool _leading;

    public LeaderElector(IKubernetes client, LeaderElectionOptions options, ILogger? log = null)
    {
        options.Validate();
        _client = client;
        _options = options;
        _log = log ?? NullLogger.Instance;
    }

    public string Identity => _options.Identity;

    /// <summary>Whether this process holds the lease now (and its work runs).</summary>
    public bool IsLeading => _leading;

    private string LeaseRef => $"{_options.LeaseNamespace}/{_options.LeaseName}";

    /// <summary>
    /// Campaigns until cancelled; each time it becomes leader it runs <paramref name="lead"/> with a token cancelled the
    /// moment it stops leading, and waits for it to end before campaigning again.
    /// </summary>
    public async Task RunAsync(Func<CancellationToken, Task> lead, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            if (!await AcquireAsync(cancellationToken))
                break;
            _leading = true;
            _log.LogInformation("{Identity}: became leader (lease {Lease}): starting the controllers", Identity, LeaseRef);
            using var leading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var work = Task.Run(() => lead(leading.Token), CancellationToken.None);
            var why = await RenewUntilLostAsync(work, cancellationToken);
            _leading = false;
            await leading.CancelAsync();
            try
            {
                await work;
            }
            catch (OperationCanceledException) when (leading.IsCancellationRequested)
            {
                // The way work ends when leading does.
            }
            catch (Exception e)
            {
                _log.LogError(e, "{Identity}: the work of the leader failed: {Error}", Identity, e.Message);
            }
            if (cancellationToken.IsCancellationRequested)
            {
                _log.LogInformation("{Identity}: stopped leading (lease {Lease}): stopping", Identity, LeaseRef);
                if (_options.ReleaseOnStop)
                    await ReleaseAsync();
                break;
            }
            _log.LogWarning("{Identity}: lost the lease {Lease} ({Why}): controllers stopped, campaigning again", Identity, LeaseRef, why);
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Tries every retry period until the lease is ours (true) or we are cancelled (false).</summary>
    private async Task<bool> AcquireAsync(CancellationToken ct)
    {
        string? lastHolder = null;
        while (true)
        {
            var (outcome, holder) = await TryAcquireOrRenewAsync(ct);
            if (outcome == Outcome.Held)
                return true;
            if (outcome == Outcome.HeldByOther && holder != lastHolder)
            {
                _log.LogInformation("{Identity}: lease {Lease} is held by {Holder}: waiting to take over", Identity, LeaseRef, holder);
                lastHolder = holder;
            }
            try
            {
                await Task.Delay(_options.RetryPeriod, _options.Time, ct);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    /// <summary>Renews every retry period; returns why leading ended (cancellation included).</summary>
    private async Task<string> RenewUntilLostAsync(Task work, CancellationToken ct)
    {
        var renewed = _options.Time.GetUtcNow();
        while (true)
        {
            try
            {
                await Task.WhenAny(work, Task.Delay(_options.RetryPeriod, _options.Time, ct));
                ct.ThrowIfCancellationRequested();
            }
            catch (OperationCanceledException)
            {
                return "stopping";
            }
            if (work.IsCompleted)
                return "the work ended by itself";
            var left = _options.RenewDeadline - (_options.Time.GetUtcNow() - renewed);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
            attempt.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
            var (outcome, holder) = await TryAcquireOrRenewAsync(attempt.Token);
            if (ct.IsCancellationRequested)
                return "stopping";
            if (outcome == Outcome.Held)
                renewed = _options.Time.GetUtcNow();
            else if (outcome == Outcome.HeldByOther)
                return $"{holder} holds it now";
            else if (_options.Time.GetUtcNow() - renewed >= _options.RenewDeadline)
                return $"not renewed within the renew deadline of {_options.RenewDeadline.TotalSeconds} s";
        }
    }

    private enum Outcome { Held, HeldByOther, Failed }

    private async Task<(Outcome, string?)> TryAcquireOrRenewAsync(CancellationToken ct)
    {
        var now = _options.Time.GetUtcNow();
        V1Lease? lease;
        try
        {
            lease = await _client.CoordinationV1.ReadNamespacedLeaseAsync(_options.LeaseName, _options.LeaseNamespace, cancellationToken: ct);
        }
        catch (Exception e) when (KubeClient.IsNotFound(e))
        {
            lease = null;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            _log.LogWarning("{Identity}: reading lease {Lease} failed: {Error}", Identity, LeaseRef, KubeClient.Describe(e));
            return (Outcome.Failed, null);
        }
        catch (OperationCanceledException)
        {
            return (Outcome.Failed, null);
        }

        if (lease is null)
            return await WriteAsync(() => _client.CoordinationV1.CreateNamespacedLeaseAsync(NewLease(now), _options.LeaseNamespace, cancellationToken: ct), "creating", now, ct);

        if (lease.ResourceVersion() != _observedVersion)
        {
            _observedVersion = lease.ResourceVersion();
            _observedAt = now;
        }
        var spec = lease.Spec ??= new V1LeaseSpec();
        var holder = spec.HolderIdentity;
        var duration = TimeSpan.FromSeconds(spec.LeaseDurationSeconds ?? (int)_options.LeaseDuration.TotalSeconds);
        if (!string.IsNullOrEmpty(holder) && holder != Identity && _observedAt + duration > now)
            return (Outcome.HeldByOther, holder);

        if (holder != Identity)
        {
            spec.AcquireTime = now.UtcDateTime;
            spec.LeaseTransitions = (spec.LeaseTransitions ?? 0) + (string.IsNullOrEmpty(holder) ? 0 : 1);
        }
        spec.HolderIdentity = Identity;
        spec.LeaseDurationSeconds = (int)_options.LeaseDuration.TotalSeconds;
        spec.RenewTime = now.UtcDateTime;
        return await WriteAsync(() => _client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, _options.LeaseName, _options.LeaseNamespace, cancellationToken: ct), "updating", now, ct);
    }

    private V1Lease NewLease(DateTimeOffset now) => new()
    {
        ApiVersion = "coordination.k8s.io/v1",
        Kind = "Lease",
        Metadata = new V1ObjectMeta { Name = _options.LeaseName, NamespaceProperty = _options.LeaseNamespace },
        Spec = new V1LeaseSpec
        {
            HolderIdentity = Identity,
            LeaseDurationSeconds = (int)_options.LeaseDuration.TotalSeconds,
            AcquireTime = now.UtcDateTime,
            RenewTime = now.UtcDateTime,
            LeaseTransitions = 0,
        },
    };

    private async Task<(Outcome, string?)> WriteAsync(Func<Task<V1Lease>> write, string what, DateTimeOffset now, CancellationToken ct)
    {
        try
        {
            var written = await write();
            _observedVersion = written.ResourceVersion();
            _observedAt = now;
            return (Outcome.Held, Identity);
        }
        catch (Exception e) when (KubeClient.IsConflict(e))
        {
            return (Outcome.Failed, null); // another candidate wrote first: read again next time
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return (Outcome.Failed, null);
        }
        catch (Exception e)
        {
            _log.LogWarning("{Identity}: {What} lease {Lease} failed: {Error}", Identity, what, LeaseRef, KubeClient.Describe(e));
            return (Outcome.Failed, null);
        }
    }

    /// <summary>Hands the lease back (holder cleared, 1 s duration, as upstream's release), if it is still ours.</summary>
    private async Task ReleaseAsync()
    {
        using var timeout = new CancellationTokenSource(_options.RenewDeadline);
        try
        {
            var lease = await _client.CoordinationV1.ReadNamespacedLeaseAsync(_options.LeaseName, _options.LeaseNamespace, cancellationToken: timeout.Token);
            if (lease.Spec?.HolderIdentity != Identity)
                return;
            lease.Spec.HolderIdentity = null;
            lease.Spec.LeaseDurationSeconds = 1;
            lease.Spec.RenewTime = _options.Time.GetUtcNow().UtcDateTime;
            await _client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, _options.LeaseName, _options.LeaseNamespace, cancellationToken: timeout.Token);
            _log.LogInformation("{Identity}: released lease {Lease}", Identity, LeaseRef);
        }
        catch (Exception e)
        {
            _log.LogWarning("{Identity}: releasing lease {Lease} failed (another server takes over when it expires): {Error}", Identity, LeaseRef, KubeClient.Describe(e));
        }
    }
}
