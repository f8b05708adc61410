using Vfio.Contracts;
using Vfio.Execution.Kernel;
using Vfio.Execution.Sriov;
using Vfio.Host.Sysfs;

namespace Vfio.RealKernel.Tests;

/// <summary>
/// The live kernel of a lab guest for the contract tests: <see cref="SysfsKernel"/> over <c>/</c>.
/// Creating it records every device's driver and <c>driver_override</c>; disposing closes any
/// group it holds and puts every device back (override reset, unbound from whatever it is on now,
/// bound to its original driver; devices that were unbound stay unbound). PFs get their VF count
/// and autoprobe back (VFs a test made are removed first), and vfio-pci's <c>enable_sriov</c> its
/// value. The lab's own 9p devices (00:1d.0, 00:1e.0: the guest's root file system and run share)
/// are never touched. Modules loaded by a test stay loaded (they cannot be unloaded while the suite runs).
/// </summary>
internal sealed class LiveKernelUnderTest : IKernelUnderTest
{
    /// <summary>A fresh live kernel under test (recording the guest's bindings) per test.</summary>
    public static IKernelUnderTestFactory Factory { get; } = new LiveFactory();

    private const string DevicesDir = "/sys/bus/pci/devices";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan SriovPatience = TimeSpan.FromSeconds(60);
    private const string EnableSriov = "/sys/module/vfio_pci/parameters/enable_sriov";
    private static readonly HashSet<string> LabPlumbing = new(StringComparer.Ordinal) { "0000:00:1d.0", "0000:00:1e.0" };

    private readonly SortedDictionary<string, (string? Driver, string? Override)> _original = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, (int NumVfs, string? Autoprobe)> _pfs = new(StringComparer.Ordinal);
    private readonly string? _enableSriov;
    private readonly List<VfioGroupHold> _holds = [];
    private readonly SysfsKernel _kernel = new(HostFiles.System);

    private LiveKernelUnderTest()
    {
        foreach (var name in Directory.EnumerateFileSystemEntries(DevicesDir).Select(Path.GetFileName).OfType<string>())
        {
            if (LabPlumbing.Contains(name)) continue;
            _original[name] = (DriverOf(name), OverrideOf(name));
            if (File.Exists($"{DevicesDir}/{name}/sriov_totalvfs"))
                _pfs[name] = (int.Parse(Read($"{DevicesDir}/{name}/sriov_numvfs")), Read($"{DevicesDir}/{name}/sriov_drivers_autoprobe"));
        }
        _enableSriov = File.Exists(EnableSriov) ? Read(EnableSriov) : null;
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
    public IDisposable HoldGroupOpen(int group, string? options = null)
    {
        var hold = VfioGroupHold.Open(group, options);
        _holds.Add(hold);
        return hold;
    }

    /// <summary>vfioctl's own applier, on the VFIO library: the contract tests check the production path.</summary>
    public IVfTokenApplier TokenApplier { get; } = new Vfioctl.VfioTokenApplier();

    public void Dispose()
    {
        // First the holds: a blocked unbind finishes only when its device fd is closed, and on
        // 6.1 reading the device (driver_override) would wait for it.
        foreach (var hold in _holds) hold.Dispose();
        var problems = new List<string>();
        // VFs a test made go first: a vfio-pci PF cannot be unbound cleanly, nor nvme rebound, with them.
        foreach (var (name, pf) in _pfs)
            Attempt(problems, name, () =>
            {
                int now = int.Parse(Read($"{DevicesDir}/{name}/sriov_numvfs"));
                if (now != 0 && now != pf.NumVfs)
                {
                    try
                    {
                        _kernel.Write($"{DevicesDir}/{name}/sriov_numvfs", "0", SriovPatience);
                    }
                    catch (KernelException e) when (e.Error == Errno.ENOENT && DriverOf(name) != _original[name].Driver)
                    {
                        // vfio-pci with enable_sriov off: unbinding it below removes the VFs.
                    }
                }
            });
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
        foreach (var (name, pf) in _pfs)
            Attempt(problems, name, () =>
            {
                if (pf.Autoprobe is { } a && Read($"{DevicesDir}/{name}/sriov_drivers_autoprobe") != a)
                    _kernel.Write($"{DevicesDir}/{name}/sriov_drivers_autoprobe", a, Patience);
                if (int.Parse(Read($"{DevicesDir}/{name}/sriov_numvfs")) != pf.NumVfs)
                    _kernel.Write($"{DevicesDir}/{name}/sriov_numvfs", pf.NumVfs.ToString(System.Globalization.CultureInfo.InvariantCulture), SriovPatience);
            });
        if (File.Exists(EnableSriov) && Read(EnableSriov) != (_enableSriov ?? "N"))
            Attempt(problems, "vfio_pci", () => _kernel.Write(EnableSriov, _enableSriov ?? "N", Patience));
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

    private static void Attempt(List<string> problems, string name, Action action)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is KernelException or IOException or InvalidOperationException or FormatException)
        {
            problems.Add($"{name}: {e.Message}");
        }
    }

    private static string Read(string path) => File.ReadAllText(path).Trim();

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
}
