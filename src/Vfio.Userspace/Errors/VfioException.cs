using System.Text;

namespace Vfio.Userspace;

/// <summary>
/// A VFIO operation failed. Carries the operation (usually the ioctl or system call), the device or
/// node it was applied to, the errno the kernel returned (0 when the failure was found in userspace)
/// and a hint: the next step that would make it work.
/// </summary>
public sealed class VfioException : Exception
{
    /// <summary>Creates an exception; <see cref="Exception.Message"/> is composed from the parts.</summary>
    public VfioException(VfioErrorKind kind, string operation, string? device, Errno errno, string detail, string? hint = null, Exception? inner = null)
        : base(Compose(operation, device, errno, detail, hint), inner)
    {
        Kind = kind;
        Operation = operation;
        Device = device;
        Errno = errno;
        Detail = detail;
        Hint = hint;
    }

    /// <summary>What kind of failure this is.</summary>
    public VfioErrorKind Kind { get; }

    /// <summary>The operation that failed, e.g. <c>VFIO_GROUP_SET_CONTAINER</c> or <c>open /dev/vfio/4</c>.</summary>
    public string Operation { get; }

    /// <summary>The device address or node the operation was applied to, when there is one.</summary>
    public string? Device { get; }

    /// <summary>The errno the kernel returned, or 0 when the failure was detected in userspace.</summary>
    public Errno Errno { get; }

    /// <summary>What happened, without the operation, device and hint.</summary>
    public string Detail { get; }

    /// <summary>The next step that would make the operation work, when one is known.</summary>
    public string? Hint { get; }

    /// <summary>The symbolic errno name (<c>EPERM</c>, <c>ENOMEM</c>, ...) or null when <see cref="Errno"/> is 0.</summary>
    public string? ErrnoName => Errno == 0 ? null : ErrnoInfo.Name(Errno);

    internal static string Compose(string operation, string? device, Errno errno, string detail, string? hint)
    {
        var sb = new StringBuilder();
        sb.Append(operation);
        // "open /dev/vfio/4" names its device already; other operations get " on DEVICE".
        if (device is not null && !operation.EndsWith(device, StringComparison.Ordinal)) sb.Append(" on ").Append(device);
        sb.Append(" failed");
        if (errno != 0) sb.Append(" (").Append(ErrnoInfo.Name(errno)).Append(", errno ").Append((int)errno).Append(')');
        sb.Append(": ").Append(detail);
        if (hint is not null) sb.Append(" Next: ").Append(hint);
        return sb.ToString();
    }
}
