namespace Vfio.Lab;

/// <summary>What kind of lab failure a <see cref="LabException"/> reports.</summary>
public enum LabErrorKind
{
    /// <summary>A host tool or Debian package the lab needs is missing and could not be installed.</summary>
    MissingDependency,

    /// <summary>apt could not find or download the kernel package.</summary>
    KernelDownload,

    /// <summary>Extracting the kernel or building the initramfs failed.</summary>
    Build,

    /// <summary>The request cannot be run as given (bad working directory, empty command).</summary>
    InvalidRequest,

    /// <summary>QEMU failed to start or stopped before the command finished.</summary>
    Qemu,

    /// <summary>The guest did not reach the command within the boot timeout, or reported a fatal setup error.</summary>
    BootFailed,

    /// <summary>The command did not finish within the run timeout.</summary>
    Timeout,

    /// <summary>The run was interrupted (SIGINT/SIGTERM or cancellation).</summary>
    Interrupted,
}
