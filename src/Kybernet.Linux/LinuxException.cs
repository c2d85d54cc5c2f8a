using Kybernet.Linux.Interop;

namespace Kybernet.Linux;

/// <summary>
/// A failed kernel operation. The message names the operation and the object, then the errno's name,
/// e.g. "create veth veth1a2b in netns kyb-n1-p3: EEXIST (File exists)".
/// </summary>
public sealed class LinuxException : Exception
{
    public LinuxException(string operation, int errno, string? kernelMessage = null)
        : base(Format(operation, errno, kernelMessage))
    {
        Operation = operation;
        ErrorNumber = errno;
        KernelMessage = kernelMessage;
    }

    /// <summary>What was being done, to which object ("add address 10.0.0.1/24 to eth0 in netns x").</summary>
    public string Operation { get; }

    /// <summary>The positive errno value.</summary>
    public int ErrorNumber { get; }

    /// <summary>Netlink's extended ack text, when the kernel gave one.</summary>
    public string? KernelMessage { get; }

    public string ErrorName => Errno.Name(ErrorNumber);

    public static LinuxException FromLastError(string operation) => new(operation, Libc.Errno);

    private static string Format(string operation, int errno, string? kernelMessage) =>
        string.IsNullOrEmpty(kernelMessage)
            ? $"{operation}: {Errno.Describe(errno)}"
            : $"{operation}: {Errno.Describe(errno)}: {kernelMessage}";
}
