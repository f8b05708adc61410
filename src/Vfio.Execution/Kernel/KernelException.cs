namespace Vfio.Execution.Kernel;

/// <summary>The kernel said no (or did not answer in time): the operation, its errno and what to do next.</summary>
public sealed class KernelException : Exception
{
    public KernelException(string operation, Errno errno, string? hint = null)
        : base($"{operation} failed: {ErrnoInfo.Name(errno)} ({ErrnoInfo.Describe(errno)})" + (hint is null ? "" : $". {hint}"))
    {
        Operation = operation;
        Error = errno;
        Hint = hint;
    }

    /// <summary>What was attempted, e.g. "writing 0000:00:02.0 to /sys/bus/pci/drivers_probe".</summary>
    public string Operation { get; }
    /// <summary>The errno (ETIMEDOUT for a write that did not return in time).</summary>
    public Errno Error { get; }
    /// <summary>The next step for a person, when there is one.</summary>
    public string? Hint { get; }
}
