using Vfio.Host.Model;
using Vfio.Host.Reading;
using Vfio.Host.Sysfs;
using Vfio.Policy.Drivers;

namespace Vfio.Execution.Operations;

/// <summary>The host reads the operations share.</summary>
internal static class HostReads
{
    /// <summary>The kernel's <c>modules.alias</c>, parsed; what could not be read or understood goes to <paramref name="warnings"/>.</summary>
    public static ModuleAliases Aliases(HostFiles files, HostState host, List<string> warnings)
    {
        var file = ModulesAliasReader.Read(files, host.KernelRelease);
        if (file.Problem is { } problem) warnings.Add(problem);
        if (file.Content is null) return ModuleAliases.Empty;
        var aliases = ModuleAliases.Parse(file.Content);
        foreach (var p in aliases.Problems) warnings.Add($"modules.alias {p}");
        return aliases;
    }

    /// <summary>The device at <paramref name="address"/>, or <see cref="NotFoundException"/> naming the root.</summary>
    public static PciDevice RequireDevice(HostState host, PciAddress address) =>
        host.FindDevice(address) ?? throw NotFoundException.NoSuchDevice(host, address);
}
