namespace Kybernet.Linux.Interop;

/// <summary>Symbolic names of errno values, so errors read "EEXIST" rather than "17".</summary>
public static class Errno
{
    private static readonly Dictionary<int, string> Names = new()
    {
        [1] = "EPERM",
        [2] = "ENOENT",
        [3] = "ESRCH",
        [4] = "EINTR",
        [5] = "EIO",
        [6] = "ENXIO",
        [7] = "E2BIG",
        [9] = "EBADF",
        [11] = "EAGAIN",
        [12] = "ENOMEM",
        [13] = "EACCES",
        [14] = "EFAULT",
        [16] = "EBUSY",
        [17] = "EEXIST",
        [18] = "EXDEV",
        [19] = "ENODEV",
        [20] = "ENOTDIR",
        [21] = "EISDIR",
        [22] = "EINVAL",
        [23] = "ENFILE",
        [24] = "EMFILE",
        [25] = "ENOTTY",
        [28] = "ENOSPC",
        [30] = "EROFS",
        [32] = "EPIPE",
        [34] = "ERANGE",
        [36] = "ENAMETOOLONG",
        [38] = "ENOSYS",
        [39] = "ENOTEMPTY",
        [61] = "ENODATA",
        [71] = "EPROTO",
        [74] = "EBADMSG",
        [75] = "EOVERFLOW",
        [88] = "ENOTSOCK",
        [90] = "EMSGSIZE",
        [92] = "ENOPROTOOPT",
        [93] = "EPROTONOSUPPORT",
        [95] = "EOPNOTSUPP",
        [97] = "EAFNOSUPPORT",
        [98] = "EADDRINUSE",
        [99] = "EADDRNOTAVAIL",
        [100] = "ENETDOWN",
        [101] = "ENETUNREACH",
        [103] = "ECONNABORTED",
        [104] = "ECONNRESET",
        [105] = "ENOBUFS",
        [107] = "ENOTCONN",
        [110] = "ETIMEDOUT",
        [111] = "ECONNREFUSED",
        [113] = "EHOSTUNREACH",
        [125] = "ECANCELED",
    };

    public static string Name(int errno) => Names.TryGetValue(errno, out var name) ? name : $"errno {errno}";

    public static string Describe(int errno) =>
        $"{Name(errno)} ({System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)})";
}
