using System.Globalization;
using System.Text;
using Vfio.Execution.Kernel;
using Vfio.Host.Sysfs;

namespace Vfio.Tests.Simulation;

/// <summary>
/// A kernel over an unpacked capture (tests/fixtures/lab-*.tar.gz) that reacts to sysfs writes
/// and module loads the way Linux 6.12 does: <c>driver_override</c>, <c>unbind</c>, <c>bind</c>,
/// <c>drivers_probe</c>, <c>/dev/vfio/N</c> appearing and going, modprobe with dependencies, and
/// a process holding a group open (<see cref="HoldGroupOpen"/>). Every change is written back into
/// the tree the way sysfs shows it (the <c>driver</c> link, the <c>DRIVER=</c> line of
/// <c>uevent</c>, the driver's back-link), so the host model reads the result as it would on a
/// real host. The same contract tests (tests/Contracts) run against it and against the real
/// kernel in lab guests: where they disagree, the real kernel wins and this class is fixed.
/// </summary>
/// <remarks>
/// SR-IOV: <c>sriov_numvfs</c> (VFs appear with their own groups and links, and go; ERANGE,
/// ENOENT, EBUSY and EINVAL as the kernel answers; removing a VF a holder has open waits for it),
/// <c>sriov_drivers_autoprobe</c>, vfio-pci's <c>enable_sriov</c>, the VFs a vfio-pci PF captures,
/// and the VF token rules of opening a device (<see cref="HoldGroupOpen"/> with options).
/// Not modelled (writes throw <see cref="NotSupportedException"/>): <c>new_id</c>/<c>remove_id</c>,
/// <c>remove</c>/<c>rescan</c>, <c>reset</c>, <c>drivers_autoprobe</c>, other module parameters.
/// Reads never block here: on a real kernel reading a PF's <c>sriov_numvfs</c> waits while a
/// removal of its VFs waits for a holder (on 6.1 its <c>uevent</c> too). Static id tables are
/// approximated by each device's driver in the capture (<see cref="SimulatedDevice.NativeDriver"/>).
/// 6.1 differs in one way the contract does not see: while an unbind is blocked, reading
/// <c>uevent</c> or <c>driver_override</c> and writing <c>driver_override</c> also block there
/// (device_lock in the show/store methods); 6.12 answers them at once. This class follows 6.12.
/// </remarks>
public sealed partial class SimulatedKernel : IKernel, IDisposable
{
    private const string DevicesDir = "/sys/bus/pci/devices";
    private const string DriversDir = "/sys/bus/pci/drivers";
    private const string DriversProbe = "/sys/bus/pci/drivers_probe";
    private const int PageSize = 4096;

    /// <summary>Files the kernel makes in every PCI driver's directory (drivers/base/bus.c, pci-driver.c).</summary>
    private static readonly string[] DriverAttributes = ["bind", "unbind", "new_id", "remove_id", "uevent"];

    /// <summary>Device attributes without a store method: kernfs_fop_open refuses to open them for writing (EACCES, even for root).</summary>
    private static readonly HashSet<string> ReadOnlyDeviceAttributes = new(StringComparer.Ordinal)
    {
        "vendor", "device", "subsystem_vendor", "subsystem_device", "class", "revision", "modalias", "irq",
        "local_cpus", "local_cpulist", "resource", "dma_mask_bits", "consistent_dma_mask_bits", "ari_enabled",
        "boot_vga", "power_state", "current_link_speed", "current_link_width", "max_link_speed", "max_link_width",
        "sriov_totalvfs", "sriov_offset", "sriov_stride", "sriov_vf_device", "reset_method_unsupported",
    };

    private readonly Lock _gate = new();
    private readonly SimulatedTree _tree;
    private readonly SimulatedModules _modules;
    private readonly List<SimulatedDevice> _devices = [];
    private readonly Dictionary<string, SimulatedDevice> _byDirectory = new(StringComparer.Ordinal);
    /// <summary>Registered PCI drivers in registration order (the order bus_for_each_drv walks).</summary>
    private readonly List<string> _drivers = [];
    private readonly HashSet<string> _loaded = new(StringComparer.Ordinal);
    /// <summary>The current holder of each group node (at most one: vfio_group_fops_open).</summary>
    private readonly Dictionary<int, SimulatedGroupHold> _holders = [];
    private readonly List<SimulatedGroupHold> _holds = [];

    /// <summary>Takes over the unpacked tree at <paramref name="root"/> (it is changed in place).</summary>
    public SimulatedKernel(string root)
    {
        Files = new HostFiles(root);
        _tree = new SimulatedTree(Files);
        var release = Files.ReadAttribute("/proc/sys/kernel/osrelease")
            ?? throw new ArgumentException($"{root} has no /proc/sys/kernel/osrelease: not a captured tree", nameof(root));
        _modules = SimulatedModules.Read(Files, release);
        ReadDevices();
        CompleteTree();
    }

    public HostFiles Files { get; }

    /// <summary>Writes like <see cref="SysfsKernel"/>: one write(2), the kernel's errno, ETIMEDOUT when it blocks past <paramref name="timeout"/>.</summary>
    public void Write(string hostPath, string value, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(hostPath);
        ArgumentNullException.ThrowIfNull(value);
        var operation = $"writing '{value.TrimEnd('\n')}' to {hostPath}";
        Errno errno;
        BlockedWrite? blocked;
        lock (_gate)
        {
            errno = Dispatch(hostPath, value, out blocked);
        }
        if (blocked is not null)
        {
            // The write sleeps in the kernel (a device lock, or vfio-pci waiting for a device fd to
            // close); it finishes when that ends, whether or not the writer is still waiting.
            if (!blocked.Wait(timeout))
                throw new KernelException(operation, Errno.ETIMEDOUT,
                    $"The kernel has not returned after {timeout.TotalSeconds:0} s: a process probably holds the device open (see 'vfioctl show'); vfioctl stops here.");
            errno = blocked.Errno;
        }
        if (errno != 0) throw new KernelException(operation, errno);
    }

    /// <summary>Releases every hold (waking writers blocked on them).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var hold in _holds.ToList()) ReleaseLocked(hold);
        }
    }

    private Errno Dispatch(string hostPath, string value, out BlockedWrite? blocked)
    {
        blocked = null;
        if (!hostPath.StartsWith('/')) throw new ArgumentException($"host path must be absolute: {hostPath}", nameof(hostPath));
        var path = _tree.Resolve(hostPath);
        if (path is null) return Errno.ENOENT;         // open(2) without O_CREAT
        if (_tree.IsDirectory(path)) return Errno.EISDIR;     // open(2) of a directory for writing
        int count = Encoding.UTF8.GetByteCount(value);
        if (count == 0) return 0;                       // sysfs_kf_write: a zero-length write never reaches the store method
        count = Math.Min(count, PageSize);              // kernfs_fop_write_iter: at most PAGE_SIZE bytes reach it

        if (path == DriversProbe) return StoreDriversProbe(value);

        int slash = path.LastIndexOf('/');
        var parent = path[..slash];
        var attribute = path[(slash + 1)..];
        if (parent.StartsWith(DriversDir + "/", StringComparison.Ordinal) && parent.LastIndexOf('/') == DriversDir.Length)
        {
            var driver = parent[(DriversDir.Length + 1)..];
            switch (attribute)
            {
                case "bind": return StoreBind(driver, value, out blocked);
                case "unbind": return StoreUnbind(driver, value, out blocked);
            }
        }
        if (_byDirectory.TryGetValue(parent, out var device))
        {
            if (attribute == "driver_override") return StoreDriverOverride(device, value, count);
            if (attribute == "sriov_numvfs" && device.Sriov is not null) return StoreNumVfs(device, value, out blocked);
            if (attribute == "sriov_drivers_autoprobe" && device.Sriov is not null) return StoreAutoprobe(device, value);
            if (ReadOnlyDeviceAttributes.Contains(attribute)) return Errno.EACCES;
        }
        if (parent.StartsWith("/sys/module/", StringComparison.Ordinal) && parent.EndsWith("/parameters", StringComparison.Ordinal))
            return StoreModuleParameter(parent["/sys/module/".Length..^"/parameters".Length], attribute, value);
        throw new NotSupportedException($"The simulated kernel does not model writes to {hostPath} ({path}); add it to SimulatedKernel, checked against the real kernel.");
    }

    /// <summary>
    /// pci-sysfs.c driver_override_store → drivers/base/driver.c driver_set_override: cut at the
    /// first newline; empty or "\n" clears it (reads back "(null)"); it neither unbinds nor loads
    /// anything.
    /// </summary>
    private Errno StoreDriverOverride(SimulatedDevice device, string value, int count)
    {
        if (count >= PageSize - 1) return Errno.EINVAL;
        var s = CString(value);
        int newline = s.IndexOf('\n');
        if (newline >= 0) s = s[..newline];
        device.Override = s.Length == 0 ? null : s;
        _tree.WriteText($"{device.Directory}/driver_override", (device.Override ?? "(null)") + "\n");
        return 0;
    }

    /// <summary>bus_find_device_by_name: the device whose name equals the buffer by sysfs_streq.</summary>
    private SimulatedDevice? FindDevice(string buffer)
    {
        var name = CString(buffer);
        return _devices.FirstOrDefault(d => SysfsStreq(d.Name, name));
    }

    /// <summary>lib/string.c sysfs_streq: equal, or equal but for one trailing newline on either side.</summary>
    private static bool SysfsStreq(string a, string b) =>
        a == b || (b.Length == a.Length + 1 && b[^1] == '\n' && b.StartsWith(a, StringComparison.Ordinal))
               || (a.Length == b.Length + 1 && a[^1] == '\n' && a.StartsWith(b, StringComparison.Ordinal));

    /// <summary>The buffer as C string functions see it: up to the first NUL.</summary>
    private static string CString(string value)
    {
        int nul = value.IndexOf('\0');
        return nul < 0 ? value : value[..nul];
    }

    private void ReadDevices()
    {
        foreach (var name in Files.List(DevicesDir).Order(StringComparer.Ordinal))
        {
            var directory = _tree.Resolve($"{DevicesDir}/{name}");
            if (directory is null) continue;
            var driver = Files.ReadLinkName($"{directory}/driver");
            var driverOverride = Files.ReadAttribute($"{directory}/driver_override");
            var device = new SimulatedDevice
            {
                Name = name,
                Directory = directory,
                Group = int.TryParse(Files.ReadLinkName($"{directory}/iommu_group"), NumberStyles.None, CultureInfo.InvariantCulture, out var g) ? g : null,
                NormalHeader = HasNormalHeader(directory),
                NativeDriver = driver,
                Driver = driver,
                Override = driverOverride is null or "(null)" or "" ? null : driverOverride,
                Sriov = ReadSriov(directory),
            };
            _devices.Add(device);
            _byDirectory[directory] = device;
        }
        LinkVirtualFunctions();
    }

    /// <summary>Header type from config byte 0x0e (bit 7 is the multifunction flag); the class when config is missing.</summary>
    private bool HasNormalHeader(string directory)
    {
        var config = Files.ReadBytes($"{directory}/config", 64);
        if (config is { Length: > 0x0e }) return (config[0x0e] & 0x7f) == 0;
        var cls = Files.ReadAttribute($"{directory}/class");
        return !(cls is not null && uint.TryParse(cls.AsSpan(cls.StartsWith("0x", StringComparison.Ordinal) ? 2 : 0), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var c)
                 && (c >> 8) is 0x0604 or 0x0607);
    }

    /// <summary>
    /// Adds what a capture leaves out but the live sysfs has: the driver attribute files, the
    /// drivers' back-links to their devices, <c>/sys/module</c> entries for loaded modules,
    /// <c>drivers_probe</c>, and the <c>/dev/vfio</c> nodes the bindings imply.
    /// </summary>
    private void CompleteTree()
    {
        _tree.Touch(DriversProbe);
        foreach (var line in (Files.ReadAllText("/proc/modules") ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
            _loaded.Add(line.Split(' ')[0]);
        foreach (var driver in Files.List(DriversDir).Order(StringComparer.Ordinal))
        {
            var dir = $"{DriversDir}/{driver}";
            if (!_tree.IsDirectory(dir)) continue;
            _drivers.Add(driver);
            foreach (var attribute in DriverAttributes) _tree.Touch($"{dir}/{attribute}");
            if (Files.ReadLink($"{dir}/module") is { } target)
            {
                var module = target[(target.LastIndexOf('/') + 1)..];
                _loaded.Add(module);
                _tree.EnsureDirectory($"/sys/module/{module}");
                _tree.LinkRelative($"/sys/module/{module}/drivers/pci:{driver}", dir);
            }
        }
        foreach (var module in _loaded) _tree.EnsureDirectory($"/sys/module/{module}");
        foreach (var device in _devices)
        {
            if (device.Driver is { } driver && _tree.IsDirectory($"{DriversDir}/{driver}"))
                _tree.LinkRelative($"{DriversDir}/{driver}/{device.Name}", device.Directory);
        }
        if (_loaded.Contains("vfio")) _tree.Touch("/dev/vfio/vfio");
        foreach (var group in _devices.Select(d => d.Group).Distinct()) UpdateGroupNode(group);
        _tree.EnsureDirectory("/proc");
    }
}
