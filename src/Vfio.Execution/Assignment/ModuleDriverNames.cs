using Vfio.Host.Sysfs;
using Vfio.Policy.Assignment;

namespace Vfio.Execution.Assignment;

/// <summary>
/// The PCI driver name a step binds to. A variant module may register its PCI driver under another
/// spelling (xe_vfio_pci: xe-vfio-pci): <c>/sys/module/M/drivers/pci:NAME</c> says which, once
/// loaded. Asked once per module; one instance serves one apply (modules may load in between runs).
/// </summary>
internal sealed class ModuleDriverNames(HostFiles files)
{
    private readonly Dictionary<string, string?> _driverOfModule = new(StringComparer.Ordinal);

    public string DriverFor(DeviceStep s)
    {
        if (s.ToModule is { } m)
        {
            if (!_driverOfModule.TryGetValue(m, out var name))
            {
                name = files.List($"/sys/module/{m}/drivers")
                    .FirstOrDefault(e => e.StartsWith("pci:", StringComparison.Ordinal))?[4..];
                _driverOfModule[m] = name;
            }
            if (name is not null) return name;
        }
        return s.ToDriver!;
    }
}
