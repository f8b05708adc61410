using System.Globalization;

namespace Vfio.Userspace.Interop;

/// <summary>
/// The sysfs, procfs and /dev files the library reads to find a device's group and to explain
/// failures (who blocks a group, who holds it). Rooted at a directory so tests can use a fake tree.
/// </summary>
internal sealed class SystemPaths(string root)
{
    public static SystemPaths Default { get; } = new("/");

    public string Root { get; } = root;

    public string PciDevice(string name) => Path.Combine(Root, "sys/bus/pci/devices", name);

    public string GroupDevices(int group) => Path.Combine(Root, "sys/kernel/iommu_groups", group.ToString(CultureInfo.InvariantCulture), "devices");

    /// <summary>The group node as the kernel names it (what /proc/PID/fd links point to).</summary>
    public static string KernelGroupNode(int group) => "/dev/vfio/" + group.ToString(CultureInfo.InvariantCulture);

    /// <summary>The group node under this root.</summary>
    public string GroupNode(int group) => Path.Combine(Root, "dev/vfio", group.ToString(CultureInfo.InvariantCulture));

    public string ContainerNode => Path.Combine(Root, "dev/vfio/vfio");

    /// <summary>The node of a group vfio made in its unsafe no-IOMMU mode, <c>/dev/vfio/noiommu-N</c>, under this root.</summary>
    public string NoIommuGroupNode(int group) => Path.Combine(Root, "dev/vfio", "noiommu-" + group.ToString(CultureInfo.InvariantCulture));

    /// <summary>Whether group N is a no-IOMMU group (its node is <c>noiommu-N</c>).</summary>
    public bool IsNoIommuGroup(int group) => !File.Exists(GroupNode(group)) && File.Exists(NoIommuGroupNode(group));

    /// <summary>The iommufd node under this root.</summary>
    public string IommufdNode => Path.Combine(Root, "dev/iommu");

    /// <summary>A device cdev node under this root, <c>/dev/vfio/devices/vfioN</c>.</summary>
    public string DeviceCdevNode(string cdev) => Path.Combine(Root, "dev/vfio/devices", cdev);

    /// <summary>
    /// The device's VFIO cdev name (<c>vfioN</c>, from <c>/sys/bus/pci/devices/ADDR/vfio-dev/</c>), or null
    /// when it has none: not bound to a vfio driver, or a kernel without CONFIG_VFIO_DEVICE_CDEV.
    /// </summary>
    public string? CdevOf(string device)
    {
        var dir = Path.Combine(PciDevice(device), "vfio-dev");
        try
        {
            return Directory.Exists(dir)
                ? Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).FirstOrDefault(n => n is not null && n.StartsWith("vfio", StringComparison.Ordinal))
                : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>The IOMMU group number of a PCI device, null when it has none; throws DirectoryNotFound when the device is missing.</summary>
    public int? GroupOf(string device)
    {
        var dir = PciDevice(device);
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException(dir);
        var target = new FileInfo(Path.Combine(dir, "iommu_group")).LinkTarget;
        if (target is null) return null;
        return int.TryParse(Path.GetFileName(target), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : null;
    }

    /// <summary>The driver bound to a PCI device, or null.</summary>
    public string? DriverOf(string device)
    {
        var target = new FileInfo(Path.Combine(PciDevice(device), "driver")).LinkTarget;
        return target is null ? null : Path.GetFileName(target);
    }

    /// <summary>Whether a PCI device is an SR-IOV virtual function (has a physfn link).</summary>
    public bool IsVirtualFunction(string device) => new FileInfo(Path.Combine(PciDevice(device), "physfn")).LinkTarget is not null;

    /// <summary>The members of a group, sorted, with their drivers; empty when sysfs cannot be read.</summary>
    public IReadOnlyList<VfioGroupMember> Members(int group)
    {
        var dir = GroupDevices(group);
        if (!Directory.Exists(dir)) return [];
        var result = new List<VfioGroupMember>();
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(entry);
            string? driver = null;
            try
            {
                var t = new FileInfo(Path.Combine(entry, "driver")).LinkTarget;
                driver = t is null ? null : Path.GetFileName(t);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            result.Add(new VfioGroupMember(name, driver));
        }
        return result;
    }

    /// <summary>
    /// Processes with <paramref name="kernelPath"/> open, found through /proc/PID/fd links. Only the
    /// processes this user may inspect are seen (all of them for root).
    /// </summary>
    public IReadOnlyList<(int Pid, string Command)> Holders(string kernelPath)
    {
        var result = new List<(int, string)>();
        var proc = Path.Combine(Root, "proc");
        IEnumerable<string> pids;
        try { pids = Directory.EnumerateDirectories(proc).ToList(); }
        catch (IOException) { return result; }
        catch (UnauthorizedAccessException) { return result; }
        foreach (var dir in pids)
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            try
            {
                foreach (var fd in Directory.EnumerateFileSystemEntries(Path.Combine(dir, "fd")))
                {
                    if (new FileInfo(fd).LinkTarget != kernelPath) continue;
                    string comm = "?";
                    try { comm = File.ReadAllText(Path.Combine(dir, "comm")).Trim(); } catch (IOException) { } catch (UnauthorizedAccessException) { }
                    result.Add((pid, comm));
                    break;
                }
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        result.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return result;
    }
}
