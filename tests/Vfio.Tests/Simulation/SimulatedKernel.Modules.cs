using Vfio.Execution.Kernel;

namespace Vfio.Tests.Simulation;

public sealed partial class SimulatedKernel
{
    /// <summary>
    /// modprobe: soft pre-dependencies, dependencies (modules.dep) and the module, then soft
    /// post-dependencies (modules.softdep: vfio pulls in vfio_iommu_type1). A module already
    /// loaded or built in is left as it is (its parameters are not changed). Loading a PCI driver
    /// registers it, and driver_register → bus_add_driver → driver_attach probes every unbound
    /// device it matches (an override waiting for it, kernel-facts section 1).
    /// </summary>
    public void LoadModule(string module, IReadOnlyList<string> parameters)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(parameters);
        lock (_gate)
        {
            var name = SimulatedModules.Normalize(module);
            if (!_modules.IsKnown(name))
                throw new KernelException($"modprobe {module}", Errno.ENOENT,
                    $"modprobe said: modprobe: FATAL: Module {module} not found in directory /lib/modules/{_modules.Release} Is the module built for this kernel (ls /lib/modules/$(uname -r))?");
            Insert(name, parameters, new HashSet<string>(StringComparer.Ordinal));
        }
    }

    private void Insert(string module, IReadOnlyList<string> parameters, HashSet<string> seen)
    {
        if (!seen.Add(module)) return;
        if (_modules.IsBuiltIn(module) || _loaded.Contains(module)) return;
        foreach (var pre in _modules.SoftPre(module))
            if (_modules.IsKnown(pre)) Insert(pre, [], seen); // modprobe skips soft dependencies it cannot find
        foreach (var dependency in _modules.DependenciesOf(module)) Insert(dependency, [], seen);
        Register(module, parameters);
        foreach (var post in _modules.SoftPost(module))
            if (_modules.IsKnown(post)) Insert(post, [], seen);
    }

    private void Register(string module, IReadOnlyList<string> parameters)
    {
        _loaded.Add(module);
        _tree.EnsureDirectory($"/sys/module/{module}");
        var bools = LabKernelModuleFacts.BoolParameters.GetValueOrDefault(module);
        foreach (var (name, on) in bools ?? new Dictionary<string, bool>())
            _tree.WriteText($"/sys/module/{module}/parameters/{name}", on ? "Y\n" : "N\n");
        foreach (var parameter in parameters)
        {
            // "name=value"; a bare name is a bool set to true (kernel/params.c parse_args); bools read back Y or N.
            int eq = parameter.IndexOf('=');
            var (name, value) = eq < 0 ? (parameter, "Y") : (parameter[..eq], parameter[(eq + 1)..]);
            if (bools?.ContainsKey(name) == true && KstrToBool(value) is { } b) value = b ? "Y" : "N";
            _tree.WriteText($"/sys/module/{module}/parameters/{name}", value + "\n");
        }
        if (_tree.Exists("/proc/modules")) _tree.AppendText("/proc/modules", $"{module} 16384 0 - Live 0x0000000000000000\n");
        // vfio_init → misc_register: the container node.
        if (module == "vfio") _tree.Touch("/dev/vfio/vfio");
        if (_modules.PciDriverOf(module) is { } driver) RegisterDriver(driver, module);
    }

    private void RegisterDriver(string driver, string module)
    {
        var dir = $"{DriversDir}/{driver}";
        _tree.EnsureDirectory(dir);
        foreach (var attribute in DriverAttributes) _tree.Touch($"{dir}/{attribute}");
        _tree.LinkRelative($"{dir}/module", $"/sys/module/{module}");
        _tree.LinkRelative($"/sys/module/{module}/drivers/pci:{driver}", dir);
        if (!_drivers.Contains(driver)) _drivers.Add(driver);
        // __driver_attach: errors are dropped; the device just stays unbound.
        foreach (var device in _devices)
            if (device.Driver is null && Matches(driver, device)) Probe(driver, device);
    }
}
