using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Vfio.Contracts;
using Vfio.Execution.Kernel;
using Vfio.Host.Sysfs;

namespace Vfio.RealKernel.Tests;

/// <summary>
/// The live kernel of a lab guest for the contract tests: <see cref="SysfsKernel"/> over <c>/</c>.
/// Creating it records every device's driver and <c>driver_override</c>; disposing closes any
/// group it holds and puts every device back (override reset, unbound from whatever it is on now,
/// bound to its original driver; devices that were unbound stay unbound). The lab's own 9p
/// devices (00:1d.0, 00:1e.0: the guest's root file system and run share) are never touched.
/// Modules loaded by a test stay loaded (they cannot be unloaded while the suite runs).
/// </summary>
internal sealed partial class LiveKernelUnderTest : IKernelUnderTest
{
    /// <summary>A fresh live kernel under test (recording the guest's bindings) per test.</summary>
    public static IKernelUnderTestFactory Factory { get; } = new LiveFactory();

    private const string DevicesDir = "/sys/bus/pci/devices";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static readonly HashSet<string> LabPlumbing = new(StringComparer.Ordinal) { "0000:00:1d.0", "0000:00:1e.0" };

    private readonly SortedDictionary<string, (string? Driver, string? Override)> _original = new(StringComparer.Ordinal);
    private readonly List<GroupHold> _holds = [];
    private readonly SysfsKernel _kernel = new(HostFiles.System);

    private LiveKernelUnderTest()
    {
        foreach (var name in Directory.EnumerateFileSystemEntries(DevicesDir).Select(Path.GetFileName).OfType<string>())
        {
            if (LabPlumbing.Contains(name)) continue;
            _original[name] = (DriverOf(name), OverrideOf(name));
        }
        StateDirectory = Directory.CreateTempSubdirectory("vfioctl-state-").FullName;
    }

    public IKernel Kernel => _kernel;

    /// <summary>A fresh empty directory (<c>/tmp/vfioctl-state-XXXX</c>; the root is "/", so host path and file path agree).</summary>
    public string StateDirectory { get; }

    /// <summary>
    /// Holds <c>/dev/vfio/N</c> as a userspace driver does: the group fd, a container attached to
    /// it with the type1 IOMMU set (claiming the group's DMA ownership), and a device fd for every
    /// member bound to vfio-pci. Errors carry the kernel's errno (ENOENT: no node; EBUSY: already
    /// open; EPERM: not viable; ENODEV: vfio_iommu_type1 not loaded).
    /// </summary>
    public IDisposable HoldGroupOpen(int group)
    {
        var hold = GroupHold.Open(group);
        _holds.Add(hold);
        return hold;
    }

    public void Dispose()
    {
        // First the holds: a blocked unbind finishes only when its device fd is closed, and on
        // 6.1 reading the device (driver_override) would wait for it.
        foreach (var hold in _holds) hold.Dispose();
        var problems = new List<string>();
        foreach (var (name, original) in _original)
        {
            try
            {
                Restore(name, original.Driver, original.Override);
            }
            catch (Exception e) when (e is KernelException or IOException or InvalidOperationException)
            {
                problems.Add($"{name}: {e.Message}");
            }
        }
        try
        {
            Directory.Delete(StateDirectory, recursive: true);
        }
        catch (IOException)
        {
            // a test left something busy in it; the guest's /tmp goes at power-off anyway
        }
        if (problems.Count > 0)
            throw new InvalidOperationException("Could not restore the guest's bindings: " + string.Join("; ", problems));
    }

    private void Restore(string name, string? driver, string? driverOverride)
    {
        if (!Directory.Exists($"{DevicesDir}/{name}")) return; // a VF removed by the test
        if (DriverOf(name) == driver && OverrideOf(name) == driverOverride) return;
        // The original override (none: cleared) first, so that the original driver matches again.
        _kernel.Write($"{DevicesDir}/{name}/driver_override", driverOverride ?? "\n", Patience);
        if (DriverOf(name) is { } current && current != driver)
            _kernel.Write($"/sys/bus/pci/drivers/{current}/unbind", name, Patience);
        if (driver is null || DriverOf(name) == driver) return;
        try
        {
            _kernel.Write($"/sys/bus/pci/drivers/{driver}/bind", name, Patience);
        }
        catch (KernelException)
        {
            _kernel.Write("/sys/bus/pci/drivers_probe", name, Patience);
        }
        if (DriverOf(name) != driver)
            throw new InvalidOperationException($"bound to {DriverOf(name) ?? "nothing"} instead of {driver}");
    }

    /// <summary>The driver link (readlink needs no device lock).</summary>
    private static string? DriverOf(string name) =>
        new FileInfo($"{DevicesDir}/{name}/driver").LinkTarget is { } target ? Path.GetFileName(target) : null;

    private static string? OverrideOf(string name)
    {
        var text = File.ReadAllText($"{DevicesDir}/{name}/driver_override").Trim();
        return text is "(null)" or "" ? null : text;
    }

    private sealed class LiveFactory : IKernelUnderTestFactory
    {
        public IKernelUnderTest Create() => new LiveKernelUnderTest();
    }

    /// <summary>The fds a userspace driver keeps: group, container and device fds; closed devices first, then the group, then the container.</summary>
    private sealed partial class GroupHold : IDisposable
    {
        private const uint VFIO_SET_IOMMU = 0x3B66;
        private const uint VFIO_GROUP_SET_CONTAINER = 0x3B68;
        private const uint VFIO_GROUP_GET_DEVICE_FD = 0x3B6A;
        private const uint VFIO_TYPE1v2_IOMMU = 3;

        private readonly SafeFileHandle _group;
        private readonly SafeFileHandle _container;
        private readonly List<SafeFileHandle> _devices;
        private bool _disposed;

        private GroupHold(SafeFileHandle group, SafeFileHandle container, List<SafeFileHandle> devices)
        {
            _group = group;
            _container = container;
            _devices = devices;
        }

        public static GroupHold Open(int group)
        {
            var node = $"/dev/vfio/{group}";
            var groupFd = OpenNode(node);
            SafeFileHandle? container = null;
            var devices = new List<SafeFileHandle>();
            try
            {
                container = OpenNode("/dev/vfio/vfio");
                int containerFd = (int)container.DangerousGetHandle();
                if (IoctlInt(groupFd, VFIO_GROUP_SET_CONTAINER, ref containerFd) != 0)
                    throw LastError($"VFIO_GROUP_SET_CONTAINER on {node}");
                if (IoctlValue(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) != 0)
                    throw LastError("VFIO_SET_IOMMU (VFIO_TYPE1v2_IOMMU)");
                foreach (var member in Directory.EnumerateFileSystemEntries($"/sys/kernel/iommu_groups/{group}/devices").Select(Path.GetFileName).OfType<string>().Order())
                {
                    if (DriverOf(member) != "vfio-pci") continue;
                    int fd = IoctlString(groupFd, VFIO_GROUP_GET_DEVICE_FD, member);
                    if (fd < 0) throw LastError($"VFIO_GROUP_GET_DEVICE_FD {member}");
                    devices.Add(new SafeFileHandle(fd, ownsHandle: true));
                }
                return new GroupHold(groupFd, container, devices);
            }
            catch
            {
                foreach (var d in devices) d.Dispose();
                groupFd.Dispose();
                container?.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var d in _devices) d.Dispose();
            _group.Dispose();
            _container.Dispose();
        }

        private static SafeFileHandle OpenNode(string path)
        {
            try
            {
                return File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new KernelException($"opening {path}", Errno.ENOENT);
            }
            catch (UnauthorizedAccessException)
            {
                throw new KernelException($"opening {path}", Errno.EACCES);
            }
            catch (IOException e)
            {
                // .NET puts the raw errno into HResult for errors it has no exception type for (EBUSY).
                throw new KernelException($"opening {path}", e.HResult is > 0 and < 4096 ? e.HResult : Errno.EIO);
            }
        }

        private static KernelException LastError(string operation) => new(operation, Marshal.GetLastPInvokeError());

        [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
        private static partial int IoctlInt(SafeFileHandle fd, nuint request, ref int argument);

        [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
        private static partial int IoctlValue(SafeFileHandle fd, nuint request, nuint argument);

        [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        private static partial int IoctlString(SafeFileHandle fd, nuint request, string argument);
    }
}
