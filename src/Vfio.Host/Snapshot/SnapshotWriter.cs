using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Vfio.Host.Reading;
using Vfio.Host.Sysfs;

namespace Vfio.Host.Snapshot;

/// <summary>What a snapshot holds, for the caller to report.</summary>
public sealed record SnapshotSummary(int Files, int Links, int Devices, int Groups, long Bytes);

/// <summary>
/// Captures the files of <c>/sys</c>, <c>/proc</c> and <c>/lib/modules</c> that the host model
/// (and the assignment planner) read into one <c>.tar.gz</c>, paths relative to <c>/</c>, links
/// kept as links. Replaying it with <c>--root FILE</c> shows the same host: bug reports,
/// offline planning, test fixtures captured from real kernels.
/// </summary>
public sealed class SnapshotWriter
{
    public const string ManifestName = "vfioctl-snapshot.json";

    /// <summary>The archive format written (the manifest's <c>format</c>).</summary>
    public const int Format = 2;

    // Device attributes worth keeping; write-only files (remove, rescan, reset) and files whose read
    // has side effects or may hang (vpd, rom, resourceN) are never read.
    private static readonly string[] DeviceFiles =
    [
        "uevent", "vendor", "device", "subsystem_vendor", "subsystem_device", "class", "revision", "modalias",
        "driver_override", "numa_node", "boot_vga", "reset_method", "irq", "resource", "enable",
        "local_cpulist", "power_state", "d3cold_allowed", "ari_enabled", "msi_bus", "label", "index",
        "acpi_index", "current_link_speed", "current_link_width", "max_link_speed", "max_link_width",
        "secondary_bus_number", "subordinate_bus_number",
        "sriov_totalvfs", "sriov_numvfs", "sriov_offset", "sriov_stride", "sriov_vf_device",
        "sriov_drivers_autoprobe", "sriov_vf_total_msix",
    ];

    private static readonly string[] ProcFiles =
    [
        "/proc/sys/kernel/osrelease", "/proc/cmdline", "/proc/self/mountinfo", "/proc/swaps",
        "/proc/net/route", "/proc/net/ipv6_route", "/proc/net/if_inet6", "/proc/net/fib_trie",
        "/proc/modules", "/proc/cpuinfo",
        // BARs the firmware framebuffer keeps reserved (kernel-facts section 10); zeros when captured without root.
        "/proc/iomem",
        // What the no-IOMMU diagnosis reads to tell a virtual machine from bare metal.
        "/sys/class/dmi/id/sys_vendor", "/sys/class/dmi/id/product_name", "/sys/hypervisor/type",
        // What doctor reads: interrupt remapping (the IR- chips) and this process's locked-memory limit.
        "/proc/interrupts", "/proc/self/limits", "/proc/self/status",
    ];

    private readonly HostFiles _files;
    private readonly Dictionary<string, byte[]> _regular = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _links = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dirs = new(StringComparer.Ordinal);

    public SnapshotWriter(HostFiles files) => _files = files;

    /// <summary>Captures the host and writes the archive to <paramref name="output"/>.</summary>
    public SnapshotSummary Write(Stream output, string toolVersion)
    {
        int devices = CaptureDevices();
        int groups = CaptureGroups();
        CaptureClassDevices();
        CaptureDrivers();
        CaptureModules();
        foreach (var p in ProcFiles) AddFile(p, 1 << 22);
        // Device nodes: presence is what matters (group nodes, the cdevs under devices/, /dev/iommu).
        foreach (var n in _files.List("/dev/vfio"))
        {
            if (_files.DirectoryExists($"/dev/vfio/{n}"))
            {
                AddDir($"/dev/vfio/{n}");
                foreach (var m in _files.List($"/dev/vfio/{n}")) _regular[$"/dev/vfio/{n}/{m}"] = [];
            }
            else _regular[$"/dev/vfio/{n}"] = [];
        }
        if (_files.Exists("/dev/iommu")) _regular["/dev/iommu"] = [];
        CaptureHolderEvidence();

        var release = _files.ReadAttribute("/proc/sys/kernel/osrelease");
        var manifest = WriteManifest(toolVersion, release, devices, groups);

        long bytes = 0;
        using (var gz = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        using (var tar = new TarWriter(gz, TarEntryFormat.Pax, leaveOpen: true))
        {
            WriteFile(tar, ManifestName, manifest);
            foreach (var d in _dirs.Order(StringComparer.Ordinal))
                tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, d.TrimStart('/') + "/") { Mode = (UnixFileMode)0b111_101_101 });
            foreach (var (path, data) in _regular.OrderBy(k => k.Key, StringComparer.Ordinal))
            {
                WriteFile(tar, path.TrimStart('/'), data);
                bytes += data.Length;
            }
            foreach (var (path, target) in _links.OrderBy(k => k.Key, StringComparer.Ordinal))
                tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, path.TrimStart('/')) { LinkName = target });
        }
        return new SnapshotSummary(_regular.Count, _links.Count, devices, groups, bytes);
    }

    private byte[] WriteManifest(string toolVersion, string? release, int devices, int groups)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, Vfio.Json.JsonEscaping.WriterOptions(indented: true)))
        {
            w.WriteStartObject();
            // 2: adds holder evidence (processes' VFIO, DRM and NVIDIA fds, NVIDIA's per-GPU
            // information, the framebuffer console). Format 1 archives replay without it.
            w.WriteNumber("format", Format);
            w.WriteString("tool", toolVersion);
            w.WriteString("capturedUtc", DateTime.UtcNow.ToString("O"));
            if (release is null) w.WriteNull("kernelRelease"); else w.WriteString("kernelRelease", release);
            w.WriteString("root", _files.Root);
            w.WriteNumber("devices", devices);
            w.WriteNumber("groups", groups);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteFile(TarWriter tar, string name, byte[] data) =>
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = new MemoryStream(data, writable: false),
            Mode = (UnixFileMode)0b110_100_100,
        });

    private int CaptureDevices()
    {
        int count = 0;
        AddDir("/sys/bus/pci/devices");
        foreach (var name in _files.List(HostReader.PciDevicesDir))
        {
            var link = $"{HostReader.PciDevicesDir}/{name}";
            var target = _files.ReadLink(link);
            if (target is null) continue;
            AddLink(link, target);
            var dir = HostPath.Resolve(HostReader.PciDevicesDir, target);
            AddDir(dir);
            foreach (var f in DeviceFiles) AddFile($"{dir}/{f}", 4096);
            AddFile($"{dir}/config", 4096);
            foreach (var entry in _files.List(dir))
            {
                if (entry is "driver" or "iommu_group" or "physfn" or "subsystem" || entry.StartsWith("virtfn", StringComparison.Ordinal))
                    AddLinkIfLink($"{dir}/{entry}");
                else if (entry == "vfio-dev")
                    foreach (var v in _files.List($"{dir}/vfio-dev")) AddDir($"{dir}/vfio-dev/{v}");
                else if (Model.VirtioFunction.IsDeviceName(entry))
                {
                    // virtio-pci's virtio device: what its driver negotiated (kernel-facts section 5a).
                    AddFile($"{dir}/{entry}/features", 4096);
                    AddLinkIfLink($"{dir}/{entry}/driver");
                }
            }
            count++;
        }
        return count;
    }

    private int CaptureGroups()
    {
        int count = 0;
        foreach (var g in _files.List(HostReader.IommuGroupsDir))
        {
            var dir = $"{HostReader.IommuGroupsDir}/{g}";
            AddDir(dir + "/devices");
            AddFile(dir + "/type", 4096);
            AddFile(dir + "/reserved_regions", 65536);
            foreach (var m in _files.List(dir + "/devices")) AddLinkIfLink($"{dir}/devices/{m}");
            count++;
        }
        return count;
    }

    private void CaptureClassDevices()
    {
        foreach (var cls in new[] { "block", "net", "drm", "iommu", "vfio-dev", "graphics" })
        {
            var classDir = $"/sys/class/{cls}";
            AddDir(classDir);
            foreach (var name in _files.List(classDir))
            {
                var link = $"{classDir}/{name}";
                var target = _files.ReadLink(link);
                if (target is null) continue;
                AddLink(link, target);
                var dir = HostPath.Resolve(classDir, target);
                AddDir(dir);
                switch (cls)
                {
                    case "block":
                        foreach (var f in new[] { "dev", "partition", "size", "ro", "removable" }) AddFile($"{dir}/{f}", 4096);
                        AddDir(dir + "/holders");
                        foreach (var h in _files.List(dir + "/holders")) AddLinkIfLink($"{dir}/holders/{h}");
                        break;
                    case "net":
                        foreach (var f in new[] { "operstate", "address", "ifindex", "mtu", "flags" }) AddFile($"{dir}/{f}", 4096);
                        break;
                    case "vfio-dev":
                        AddLinkIfLink($"{dir}/device");
                        break;
                }
            }
        }
    }

    /// <summary>
    /// What names the processes holding a device: each process's open VFIO, DRM and NVIDIA files
    /// (<c>/proc/PID/fd/N</c>, kept as links relative to the archive's root, since absolute
    /// links are not unpacked), its <c>comm</c>, a VFIO device fd's <c>fdinfo</c>; NVIDIA's
    /// per-GPU information (which <c>/dev/nvidiaN</c> is which GPU); the console's state.
    /// </summary>
    private void CaptureHolderEvidence()
    {
        foreach (var (pid, fd, target, _) in ProcessScanner.OpenFiles(_files))
        {
            if (!ProcessScanner.IsEvidence(target)) continue;
            string link = $"/proc/{pid}/fd/{fd}";
            AddLink(link, target.StartsWith('/') ? "../../.." + target : target);
            AddFile($"/proc/{pid}/comm", 4096);
            if (!target.StartsWith('/')) AddFile($"/proc/{pid}/fdinfo/{fd}", 4096);
        }
        foreach (var gpu in _files.List("/proc/driver/nvidia/gpus"))
            AddFile($"/proc/driver/nvidia/gpus/{gpu}/information", 65536);
        foreach (var v in _files.List("/sys/class/vtconsole"))
            foreach (var f in new[] { "name", "bind" }) AddFile($"/sys/class/vtconsole/{v}/{f}", 4096);
    }

    private void CaptureDrivers()
    {
        const string drivers = "/sys/bus/pci/drivers";
        foreach (var d in _files.List(drivers))
        {
            AddDir($"{drivers}/{d}");
            AddLinkIfLink($"{drivers}/{d}/module");
        }
        foreach (var module in new[] { "vfio", "vfio_pci", "vfio_pci_core", "vfio_iommu_type1", "pci_stub", "iommufd", "kvm" })
        {
            var p = $"/sys/module/{module}/parameters";
            if (!_files.DirectoryExists($"/sys/module/{module}")) continue;
            AddDir($"/sys/module/{module}");
            foreach (var f in _files.List(p)) AddFile($"{p}/{f}", 4096);
        }
    }

    private void CaptureModules()
    {
        var release = _files.ReadAttribute("/proc/sys/kernel/osrelease");
        if (release is null) return;
        foreach (var f in new[] { "modules.alias", "modules.builtin", "modules.dep" })
            AddFile($"/lib/modules/{release}/{f}", 64 << 20);
        // Doctor's other host facts: the ACPI tables that describe an IOMMU (names only: the tables
        // are binary and root-only), huge page pools, /dev/kvm.
        const string tables = "/sys/firmware/acpi/tables";
        if (_files.DirectoryExists(tables))
        {
            AddDir(tables);
            foreach (var t in _files.List(tables).Where(t => t is "DMAR" or "IVRS")) _regular[$"{tables}/{t}"] = [];
        }
        foreach (var pool in _files.List("/sys/kernel/mm/hugepages"))
            foreach (var f in new[] { "nr_hugepages", "free_hugepages" }) AddFile($"/sys/kernel/mm/hugepages/{pool}/{f}", 4096);
        if (_files.Exists("/dev/kvm")) { _regular["/dev/kvm"] = []; AddDir("/dev"); }
    }

    private void AddFile(string path, int max)
    {
        var data = _files.ReadBytes(path, max);
        if (data is null) return;
        _regular[path] = data;
        AddDir(Parent(path));
    }

    private void AddLinkIfLink(string path)
    {
        var t = _files.ReadLink(path);
        if (t is not null) AddLink(path, t);
    }

    private void AddLink(string path, string target)
    {
        _links[path] = target;
        AddDir(Parent(path));
    }

    private void AddDir(string dir)
    {
        while (dir.Length > 1 && _dirs.Add(dir)) dir = Parent(dir);
    }

    private static string Parent(string path)
    {
        int i = path.LastIndexOf('/');
        return i <= 0 ? "/" : path[..i];
    }
}
