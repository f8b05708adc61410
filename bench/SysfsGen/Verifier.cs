using System.Buffers.Binary;
using System.Text.RegularExpressions;

namespace SysfsGen;

/// <summary>
/// Re-reads a generated tree the way a sysfs consumer would and checks it is self-consistent:
/// every symlink resolves inside OUTDIR; every PCI device has the attribute files, a config
/// space that agrees with them, a parent that is its root bus or a bridge spanning its bus,
/// an IOMMU group that lists it back, a driver that lists it back, and PF/VF links both ways.
/// </summary>
internal static partial class Verifier
{
    [GeneratedRegex(@"^[0-9a-f]{4,}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")]
    private static partial Regex AddressRx();

    [GeneratedRegex(@"^pci[0-9a-f]{4,}:[0-9a-f]{2}$")]
    private static partial Regex RootBusRx();

    private static readonly string[] Required =
    [
        "vendor", "device", "subsystem_vendor", "subsystem_device", "class", "revision", "config", "resource",
        "irq", "modalias", "driver_override", "numa_node", "enable", "local_cpus", "local_cpulist", "uevent",
        "power_state", "ari_enabled", "msi_bus",
    ];

    public static int Run(string outDir, TextWriter log)
    {
        string root = Path.GetFullPath(outDir).TrimEnd('/');
        var errors = new List<string>();
        void Err(string s)
        {
            if (errors.Count < 50) log.WriteLine($"error: {s}");
            errors.Add(s);
        }

        if (!Directory.Exists($"{root}/sys/bus/pci/devices"))
        {
            log.WriteLine($"error: {root}/sys/bus/pci/devices does not exist");
            return 1;
        }

        // 1. Every symlink in the tree resolves, inside the tree.
        int links = 0, files = 0, dirs = 0;
        var stack = new Stack<string>();
        stack.Push(root);
        var opts = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false };
        while (stack.Count > 0)
        {
            string dir = stack.Pop();
            foreach (var e in new DirectoryInfo(dir).EnumerateFileSystemInfos("*", opts))
            {
                if (e.LinkTarget is { } target)
                {
                    links++;
                    string full = Path.GetFullPath(Path.Combine(dir, target));
                    if (!full.StartsWith(root + "/", StringComparison.Ordinal)) Err($"{Rel(root, e.FullName)} -> {target} leaves the tree");
                    else if (!File.Exists(full) && !Directory.Exists(full)) Err($"{Rel(root, e.FullName)} -> {target} is dangling");
                }
                else if (e is DirectoryInfo)
                {
                    dirs++;
                    stack.Push(e.FullName);
                }
                else files++;
            }
        }

        // 2. Devices.
        string Resolve(string linkPath)
        {
            var fi = new FileInfo(linkPath);
            return fi.LinkTarget is { } t ? Path.GetFullPath(Path.Combine(Path.GetDirectoryName(linkPath)!, t)) : linkPath;
        }

        var devices = new Dictionary<string, string>(StringComparer.Ordinal); // address -> real dir
        foreach (var e in new DirectoryInfo($"{root}/sys/bus/pci/devices").EnumerateFileSystemInfos("*", opts))
        {
            if (!AddressRx().IsMatch(e.Name)) Err($"sys/bus/pci/devices/{e.Name}: not a PCI address");
            if (e.LinkTarget is null) { Err($"sys/bus/pci/devices/{e.Name}: not a symlink"); continue; }
            devices[e.Name] = Resolve(e.FullName);
        }

        var groupsSeen = new HashSet<string>(StringComparer.Ordinal);
        int vfs = 0, bridges = 0;
        foreach (var (addr, dir) in devices.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            string rel = Rel(root, dir);
            if (!rel.StartsWith("sys/devices/pci", StringComparison.Ordinal)) Err($"{addr}: lives at {rel}, not under sys/devices/pci*");
            if (Path.GetFileName(dir) != addr) Err($"{addr}: directory is named {Path.GetFileName(dir)}");
            foreach (var f in Required)
                if (!File.Exists($"{dir}/{f}")) Err($"{addr}: missing {f}");
            if (!File.Exists($"{dir}/config")) continue;

            byte[] cfg = File.ReadAllBytes($"{dir}/config");
            if (cfg.Length is not (256 or 4096)) Err($"{addr}: config is {cfg.Length} bytes");
            bool isVf = File.Exists($"{dir}/physfn") || Directory.Exists($"{dir}/physfn");
            int vendor = ReadHex($"{dir}/vendor"), device = ReadHex($"{dir}/device");
            int cv = BinaryPrimitives.ReadUInt16LittleEndian(cfg), cd = BinaryPrimitives.ReadUInt16LittleEndian(cfg.AsSpan(2));
            if (isVf ? (cv != 0xffff || cd != 0xffff) : (cv != vendor || cd != device))
                Err($"{addr}: config ids {cv:x4}:{cd:x4} vs sysfs {vendor:x4}:{device:x4}");
            int cls = ReadHex($"{dir}/class");
            int ccls = cfg[0x0b] << 16 | cfg[0x0a] << 8 | cfg[0x09];
            if (cls != ccls) Err($"{addr}: class {cls:x6} vs config {ccls:x6}");
            bool bridge = (cfg[0x0e] & 0x7f) == 1;
            if (bridge) bridges++;
            if (isVf) vfs++;
            string[] res = File.ReadAllLines($"{dir}/resource");
            if (res.Length != (bridge ? 17 : 13)) Err($"{addr}: resource has {res.Length} lines");
            if (res.Any(l => l.Split(' ').Length != 3 || l.Split(' ').Any(x => x.Length != 18 || !x.StartsWith("0x", StringComparison.Ordinal))))
                Err($"{addr}: malformed resource line");
            string modalias = File.ReadAllText($"{dir}/modalias").TrimEnd('\n');
            if (!modalias.StartsWith($"pci:v{vendor:X8}d{device:X8}sv", StringComparison.Ordinal)) Err($"{addr}: modalias {modalias}");

            // Parent: the root bus directory of the same domain, or a bridge whose bus range holds this bus.
            var parts = addr.Split(':');
            int domain = Convert.ToInt32(parts[0], 16), bus = Convert.ToInt32(parts[1], 16);
            string parent = Path.GetDirectoryName(dir)!;
            string pname = Path.GetFileName(parent);
            if (RootBusRx().IsMatch(pname))
            {
                if (Convert.ToInt32(pname[3..^3], 16) != domain) Err($"{addr}: under root bus {pname} of another domain");
            }
            else if (AddressRx().IsMatch(pname) && File.Exists($"{parent}/config"))
            {
                byte[] pc = File.ReadAllBytes($"{parent}/config");
                if ((pc[0x0e] & 0x7f) != 1 || bus < pc[0x19] || bus > pc[0x1a])
                    Err($"{addr}: parent {pname} does not bridge to bus {bus:x2}");
            }
            else Err($"{addr}: parent directory {pname} is neither a root bus nor a bridge");

            // IOMMU group, both ways.
            string gl = $"{dir}/iommu_group";
            if (new FileInfo(gl).LinkTarget is null) Err($"{addr}: no iommu_group link");
            else
            {
                string g = Resolve(gl);
                if (!Rel(root, g).StartsWith("sys/kernel/iommu_groups/", StringComparison.Ordinal)) Err($"{addr}: iommu_group -> {Rel(root, g)}");
                else if (!Directory.Exists($"{g}/devices/{addr}") || Resolve($"{g}/devices/{addr}") != dir) Err($"{addr}: group {Path.GetFileName(g)} does not list it");
                groupsSeen.Add(g);
            }

            // Driver, both ways.
            string dl = $"{dir}/driver";
            if (new FileInfo(dl).LinkTarget is not null)
            {
                string drv = Resolve(dl);
                if (!Rel(root, drv).StartsWith("sys/bus/pci/drivers/", StringComparison.Ordinal)) Err($"{addr}: driver -> {Rel(root, drv)}");
                else if (!Directory.Exists($"{drv}/{addr}") || Resolve($"{drv}/{addr}") != dir) Err($"{addr}: driver {Path.GetFileName(drv)} does not list it");
                string ue = File.ReadAllText($"{dir}/uevent");
                if (!ue.StartsWith($"DRIVER={Path.GetFileName(drv)}\n", StringComparison.Ordinal)) Err($"{addr}: uevent DRIVER= disagrees");
            }

            // SR-IOV, both ways.
            if (isVf)
            {
                string pf = Resolve($"{dir}/physfn");
                bool back = Directory.EnumerateFileSystemEntries(pf, "virtfn*").Any(v => Resolve(v) == dir);
                if (!back) Err($"{addr}: PF {Path.GetFileName(pf)} has no virtfn link to it");
                if (Path.GetDirectoryName(pf) != parent) Err($"{addr}: VF is not a sibling of its PF");
            }
            if (File.Exists($"{dir}/sriov_numvfs"))
            {
                int numvfs = int.Parse(File.ReadAllText($"{dir}/sriov_numvfs").Trim());
                int virtfns = Directory.EnumerateFileSystemEntries(dir, "virtfn*").Count();
                if (numvfs != virtfns) Err($"{addr}: sriov_numvfs {numvfs} but {virtfns} virtfn links");
                foreach (var v in Directory.EnumerateFileSystemEntries(dir, "virtfn*"))
                    if (Resolve($"{Resolve(v)}/physfn") != dir) Err($"{addr}: {Path.GetFileName(v)} does not point back");
            }
        }

        // 3. Groups list only devices that point back at them.
        int groups = 0;
        foreach (var g in Directory.EnumerateDirectories($"{root}/sys/kernel/iommu_groups"))
        {
            groups++;
            if (!File.Exists($"{g}/type") || !File.Exists($"{g}/reserved_regions")) Err($"{Rel(root, g)}: missing type/reserved_regions");
            int members = 0;
            foreach (var m in Directory.EnumerateFileSystemEntries($"{g}/devices"))
            {
                members++;
                string dev = Resolve(m);
                if (!devices.TryGetValue(Path.GetFileName(m), out var known) || known != dev) Err($"{Rel(root, m)}: not a PCI device of sys/bus/pci");
                else if (Resolve($"{dev}/iommu_group") != g) Err($"{Rel(root, m)}: device is in another group");
            }
            if (members == 0) Err($"{Rel(root, g)}: empty group");
        }
        if (groups != groupsSeen.Count) Err($"{groups} group directories but devices use {groupsSeen.Count}");

        log.WriteLine($"verify: {devices.Count} PCI functions ({vfs} VFs, {bridges} bridges), {groups} IOMMU groups; " +
                      $"{files} files, {dirs} directories, {links} symlinks checked; {errors.Count} error(s)");
        return errors.Count == 0 ? 0 : 1;
    }

    private static string Rel(string root, string path) => Path.GetRelativePath(root, path);

    private static int ReadHex(string path) => Convert.ToInt32(File.ReadAllText(path).Trim(), 16);
}
