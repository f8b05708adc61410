using Vfio.Execution.Assignment;
using Vfio.Execution.Kernel;
using Vfio.Host.Sysfs;

namespace Vfio.Execution.State;

/// <summary>
/// vfioctl's state directory (<c>/var/lib/vfioctl</c> by default, a host path resolved under the
/// kernel's root): the lock that serialises changes, the journal of original drivers and the VF
/// token store. The one place that maps <see cref="ExecutionOptions.StateDirectory"/> to a real path.
/// </summary>
public sealed class StateDirectory
{
    private readonly TimeSpan _lockWait;

    /// <summary>The state directory <paramref name="hostPath"/> under <paramref name="files"/>' root; the lock is waited for up to <paramref name="lockWait"/> (30 s by default).</summary>
    public StateDirectory(HostFiles files, string hostPath, TimeSpan? lockWait = null)
    {
        HostPath = hostPath;
        Path = files.Map(hostPath);
        _lockWait = lockWait ?? TimeSpan.FromSeconds(30);
    }

    /// <summary>The state directory of <paramref name="options"/> under <paramref name="kernel"/>'s root.</summary>
    public static StateDirectory Of(IKernel kernel, ExecutionOptions options) =>
        new(kernel.Files, options.StateDirectory, options.LockWait);

    /// <summary>As the user named it (under the root).</summary>
    public string HostPath { get; }

    /// <summary>The real path.</summary>
    public string Path { get; }

    /// <summary>Takes the lock that serialises binding changes between vfioctl processes.</summary>
    public StateLock Lock() => StateLock.Acquire(Path, _lockWait);

    public Journal LoadJournal() => Journal.Load(Path);

    public VfTokenStore LoadTokens() => VfTokenStore.Load(Path);
}
