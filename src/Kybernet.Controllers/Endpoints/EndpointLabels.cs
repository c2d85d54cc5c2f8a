namespace Kybernet.Controllers.Endpoints;

/// <summary>The labels and annotations upstream puts on Endpoints and EndpointSlices (k8s.io/api core/v1 and discovery/v1).</summary>
public static class EndpointLabels
{
    /// <summary>When the pod or Service change that this write reflects happened (RFC 3339): service proxies measure their latency from it.</summary>
    public const string LastChangeTriggerTime = "endpoints.kubernetes.io/last-change-trigger-time";

    /// <summary>On Endpoints cut to <see cref="EndpointsController.MaxAddresses"/> addresses; its value is "truncated".</summary>
    public const string OverCapacity = "endpoints.kubernetes.io/over-capacity";

    /// <summary>Set (empty) on the endpoints of a headless Service.</summary>
    public const string Headless = "service.kubernetes.io/headless";

    /// <summary>The Service an EndpointSlice belongs to.</summary>
    public const string ServiceName = "kubernetes.io/service-name";

    /// <summary>Who manages an EndpointSlice.</summary>
    public const string ManagedBy = "endpointslice.kubernetes.io/managed-by";

    /// <summary>The value of <see cref="ManagedBy"/> on the slices the EndpointSlice controller writes.</summary>
    public const string ManagedByController = "endpointslice-controller.k8s.io";

    /// <summary>Go's time.RFC3339Nano, as the annotation is written upstream (UTC, trailing zeros of the fraction dropped).</summary>
    public static string FormatTime(DateTime time) =>
        (time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : DateTime.SpecifyKind(time, DateTimeKind.Utc)).ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
