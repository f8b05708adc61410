using System.Collections.Immutable;
using Vfio.Host.Model;
using Vfio.Host.Sysfs;

namespace Vfio.Host.Reading;

/// <summary>Reads <see cref="SriovFacts"/> for one PF: a handful of files, only when an SR-IOV command asks.</summary>
public static class SriovFactsReader
{
    public const string VfioPciParameters = "/sys/module/vfio_pci/parameters";

    public static SriovFacts Read(HostFiles files, PciDevice pf)
    {
        var power = ImmutableDictionary.CreateBuilder<PciAddress, RuntimePm>();
        foreach (var vf in pf.Sriov?.VirtualFunctions ?? [])
            power[vf] = ReadRuntimePm(files, vf);
        return new SriovFacts
        {
            VfioPciEnableSriov = Bool(files.ReadAttribute($"{VfioPciParameters}/enable_sriov")),
            VfioPciDisableIdleD3 = Bool(files.ReadAttribute($"{VfioPciParameters}/disable_idle_d3")),
            VfPower = power.ToImmutable(),
        };
    }

    /// <summary>The <c>power/</c> files of one device.</summary>
    public static RuntimePm ReadRuntimePm(HostFiles files, PciAddress device)
    {
        var dir = $"{HostReader.PciDevicesDir}/{device}/power";
        return new RuntimePm
        {
            Status = files.ReadAttribute($"{dir}/runtime_status"),
            Usage = SysfsParse.Int(files.ReadAttribute($"{dir}/runtime_usage")),
            Control = files.ReadAttribute($"{dir}/control"),
        };
    }

    /// <summary>Module bool parameters read back as Y/N (param_get_bool); 1/0 accepted too.</summary>
    private static bool? Bool(string? text) => text switch
    {
        "Y" or "y" or "1" => true,
        "N" or "n" or "0" => false,
        _ => null,
    };
}
