using Vfio.Host.Sysfs;

namespace Vfio.Execution.Kernel;

/// <summary>
/// The one seam through which execution changes the kernel: sysfs attribute writes and module
/// loads. Reads go through <see cref="Files"/>, rooted like the host model's. The real
/// implementation is <see cref="SysfsKernel"/>; tests use a simulated kernel over a captured tree
/// that must pass the same contract tests.
/// </summary>
public interface IKernel
{
    /// <summary>Where the kernel's files are read (the same root the writes go to).</summary>
    HostFiles Files { get; }

    /// <summary>
    /// Writes <paramref name="value"/> to a sysfs attribute in one write(2), as <c>echo -n</c> would.
    /// Throws <see cref="KernelException"/> with the errno when the kernel refuses, and when the
    /// write has not returned within <paramref name="timeout"/> (some writes block in the kernel,
    /// e.g. unbinding a device a process holds open). <see cref="Timeout.InfiniteTimeSpan"/> means
    /// the caller knows the write cannot block on a userspace holder and wants it issued directly.
    /// </summary>
    void Write(string hostPath, string value, TimeSpan timeout);

    /// <summary>Loads a module (and its dependencies) with optional parameters, like modprobe; idempotent.</summary>
    void LoadModule(string module, IReadOnlyList<string> parameters);
}
