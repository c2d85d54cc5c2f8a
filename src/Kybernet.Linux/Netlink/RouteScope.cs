namespace Kybernet.Linux.Netlink;

/// <summary>How far a route or address reaches (rtnetlink's rt_scope).</summary>
public enum RouteScope : byte
{
    Universe = 0,
    Site = 200,
    Link = 253,
    Host = 254,
    Nowhere = 255,
}

/// <summary>What a route does with a matching packet (rtnetlink's rtn type).</summary>
public enum RouteType : byte
{
    Unicast = 1,
    Local = 2,
    Broadcast = 3,
    Blackhole = 6,
    Unreachable = 7,
    Prohibit = 8,
}
