namespace Vfio.Lab;

/// <summary>How a lab run went.</summary>
/// <param name="ExitCode">The command's exit status in the guest.</param>
/// <param name="Kernel">The kernel that ran.</param>
/// <param name="BootTime">From starting QEMU to the command starting (boot, mounts, driver binding, topology setup).</param>
/// <param name="CommandTime">The command's own wall time.</param>
/// <param name="TotalTime">From starting QEMU to QEMU gone.</param>
public sealed record LabRunResult(int ExitCode, KernelImage Kernel, TimeSpan BootTime, TimeSpan CommandTime, TimeSpan TotalTime);
