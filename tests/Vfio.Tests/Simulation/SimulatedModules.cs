using Vfio.Host.Sysfs;

namespace Vfio.Tests.Simulation;

/// <summary>
/// What the simulated modprobe knows about modules: the names, dependencies, soft dependencies
/// and built-ins of <c>/lib/modules/RELEASE/</c> in the tree (falling back to
/// <see cref="LabKernelModuleFacts"/> for files a capture lacks), and which modules register
/// which PCI driver.
/// </summary>
internal sealed class SimulatedModules
{
    private readonly Dictionary<string, string[]> _dependencies = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (List<string> Pre, List<string> Post)> _softDependencies = new(StringComparer.Ordinal);
    private readonly HashSet<string> _builtIn = new(StringComparer.Ordinal);
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);
    private readonly HashSet<string> _pciDriverModules = new(StringComparer.Ordinal);
    private readonly HashSet<string> _vfioVariantModules = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _driverNames = new(StringComparer.Ordinal);
    private readonly HashSet<string> _vfioDrivers = new(StringComparer.Ordinal) { "vfio-pci" };

    private SimulatedModules(string release) => Release = release;

    /// <summary>The kernel release whose <c>/lib/modules</c> directory is read.</summary>
    public string Release { get; }

    /// <summary>modprobe's spelling: dashes and underscores are the same in module names.</summary>
    public static string Normalize(string module) => module.Replace('-', '_');

    public static SimulatedModules Read(HostFiles files, string release)
    {
        var m = new SimulatedModules(release);
        var dir = $"/lib/modules/{release}";
        m.ParseDependencies(files.ReadAllText($"{dir}/modules.dep") ?? LabKernelModuleFacts.ModulesDep);
        m.ParseSoftDependencies(files.ReadAllText($"{dir}/modules.softdep") ?? LabKernelModuleFacts.ModulesSoftdep);
        foreach (var line in Lines(files.ReadAllText($"{dir}/modules.builtin")))
        {
            var name = ModuleNameOfPath(line);
            m._builtIn.Add(name);
            m._known.Add(name);
        }
        using (var aliases = files.OpenText($"{dir}/modules.alias"))
        {
            string? line;
            while (aliases is not null && (line = aliases.ReadLine()) is not null)
            {
                // "alias pci:v00008086d0000100Esv*sd*bc*sc*i* e1000" (file2alias from the id table)
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length != 3 || f[0] != "alias") continue;
                var module = Normalize(f[2]);
                m._known.Add(module);
                if (f[1].StartsWith("pci:", StringComparison.Ordinal)) m._pciDriverModules.Add(module);
                else if (f[1].StartsWith("vfio_pci:", StringComparison.Ordinal))
                {
                    // PCI_DRIVER_OVERRIDE_DEVICE_VFIO ids: vfio-pci itself and its variants (kernel-facts section 3)
                    m._pciDriverModules.Add(module);
                    m._vfioVariantModules.Add(module);
                }
            }
        }
        foreach (var module in LabKernelModuleFacts.PciDriversWithoutAliases)
            if (m._known.Contains(module)) m._pciDriverModules.Add(module);

        // The tree's own word on driver names: /sys/bus/pci/drivers/NAME/module -> ../../../../module/MODULE
        foreach (var driver in files.List("/sys/bus/pci/drivers"))
        {
            if (files.ReadLinkName($"/sys/bus/pci/drivers/{driver}/module") is { } module)
            {
                m._driverNames[Normalize(module)] = driver;
                m._pciDriverModules.Add(Normalize(module));
            }
        }
        foreach (var module in m._vfioVariantModules)
            if (m.PciDriverOf(module) is { } driver) m._vfioDrivers.Add(driver);
        return m;
    }

    public bool IsKnown(string module) => _known.Contains(module);

    public bool IsBuiltIn(string module) => _builtIn.Contains(module);

    /// <summary>Every module <paramref name="module"/> needs, in the order modprobe inserts them (modules.dep lists them last-needed first).</summary>
    public IEnumerable<string> DependenciesOf(string module) =>
        _dependencies.TryGetValue(module, out var deps) ? deps.Reverse() : [];

    public IReadOnlyList<string> SoftPre(string module) => _softDependencies.TryGetValue(module, out var s) ? s.Pre : [];

    public IReadOnlyList<string> SoftPost(string module) => _softDependencies.TryGetValue(module, out var s) ? s.Post : [];

    /// <summary>The PCI driver a module registers, or null when it registers none (vfio, vfio_iommu_type1, vfio_pci_core).</summary>
    public string? PciDriverOf(string module)
    {
        if (!_pciDriverModules.Contains(module)) return null;
        if (_driverNames.TryGetValue(module, out var name)) return name;
        return LabKernelModuleFacts.DriverNames.TryGetValue(module, out name) ? name : module;
    }

    /// <summary>True for vfio-pci and its variant drivers (their modules carry <c>vfio_pci:</c> aliases).</summary>
    public bool IsVfioDriver(string driver) => _vfioDrivers.Contains(driver);

    private void ParseDependencies(string text)
    {
        // "kernel/drivers/vfio/pci/vfio-pci.ko.xz: kernel/drivers/vfio/pci/vfio-pci-core.ko.xz kernel/drivers/vfio/vfio.ko.xz ..."
        foreach (var line in Lines(text))
        {
            int colon = line.IndexOf(':');
            if (colon <= 0) continue;
            var module = ModuleNameOfPath(line[..colon]);
            _known.Add(module);
            _dependencies[module] = [.. line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(ModuleNameOfPath)];
        }
    }

    private void ParseSoftDependencies(string text)
    {
        // "softdep vfio post: vfio_iommu_type1 vfio_iommu_spapr_tce"
        foreach (var line in Lines(text))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 2 || f[0] != "softdep") continue;
            var module = Normalize(f[1]);
            if (!_softDependencies.TryGetValue(module, out var entry)) _softDependencies[module] = entry = ([], []);
            List<string>? into = null;
            foreach (var word in f.Skip(2))
            {
                if (word == "pre:") into = entry.Pre;
                else if (word == "post:") into = entry.Post;
                else into?.Add(Normalize(word));
            }
        }
    }

    private static IEnumerable<string> Lines(string? text) =>
        text is null ? [] : text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>"kernel/drivers/vfio/pci/vfio-pci.ko.xz" is module vfio_pci.</summary>
    private static string ModuleNameOfPath(string path)
    {
        var name = path[(path.LastIndexOf('/') + 1)..];
        int ko = name.IndexOf(".ko", StringComparison.Ordinal);
        return Normalize(ko < 0 ? name : name[..ko]);
    }
}
