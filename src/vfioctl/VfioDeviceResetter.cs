using Vfio;
using Vfio.Execution.Operations;
using Vfio.Userspace;

namespace Vfioctl;

/// <summary>How <c>vfioctl reset</c> resets a device on a vfio driver.</summary>
internal enum ResetMethod
{
    /// <summary>VFIO_DEVICE_RESET with the kernel's own order of methods (reset_method as it is).</summary>
    Default,
    /// <summary>Function-level reset (PCIe FLR or the PCI AF capability's).</summary>
    Flr,
    /// <summary>D3hot and back (PCI power management), for devices without FLR that lose state in D3hot.</summary>
    Pm,
    /// <summary>Secondary bus reset of the device's bridge, when the device is alone on its bus or slot.</summary>
    Bus,
    /// <summary>VFIO_DEVICE_PCI_HOT_RESET: a bus or slot reset of everything the kernel lists, all of it owned by this process.</summary>
    Hot,
}

/// <summary>
/// Resets a device through the VFIO library (the device must be on a vfio driver, docs/kernel-facts.md
/// section 5c). flr, pm and bus narrow the device's <c>reset_method</c> to that one method for the
/// duration of VFIO_DEVICE_RESET and put the previous list back; hot is VFIO_DEVICE_PCI_HOT_RESET,
/// refused (naming them) when it would reach devices this process does not own.
/// </summary>
internal static class VfioDeviceResetter
{
    /// <summary>The sysfs name of a method in <c>reset_method</c>.</summary>
    public static string SysfsName(ResetMethod m) => m switch
    {
        ResetMethod.Flr => "flr",
        ResetMethod.Pm => "pm",
        ResetMethod.Bus => "bus",
        _ => throw new ArgumentOutOfRangeException(nameof(m)),
    };

    /// <summary>Resets <paramref name="address"/>; returns what was done, for the user. Throws VfioException (kernel) or ResetRefusedException.</summary>
    public static string Reset(PciAddress address, ResetMethod method)
    {
        string dir = $"/sys/bus/pci/devices/{address}";
        if (!Directory.Exists(dir)) throw new NotFoundException($"no PCI device {address} ({dir} is missing): list them with 'vfioctl list'.");
        string? driver = new FileInfo(Path.Combine(dir, "driver")).LinkTarget is { } t ? Path.GetFileName(t) : null;
        if (!Directory.Exists(Path.Combine(dir, "vfio-dev")) && driver is not ("vfio-pci"))
            throw new ResetRefusedException(
                $"{address} is {(driver is null ? "without a driver" : $"on {driver}")}: vfioctl resets devices on a vfio driver, through VFIO.",
                $"bind it first ('vfioctl bind {address}'); for a device on a kernel driver, the kernel's own file is {dir}/reset.");

        string resetMethodFile = Path.Combine(dir, "reset_method");
        string? previous = null;
        if (method is ResetMethod.Flr or ResetMethod.Pm or ResetMethod.Bus)
        {
            string name = SysfsName(method);
            if (!File.Exists(resetMethodFile))
                throw new ResetRefusedException($"{address} has no reset method the kernel can use ({resetMethodFile} is absent).",
                    "a hot reset of its bus may still be possible: --method hot.");
            previous = File.ReadAllText(resetMethodFile).Trim();
            var offered = previous.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (!offered.Contains(name))
                throw new ResetRefusedException($"{address} does not offer the {name} reset; its reset_method lists: {previous}.",
                    $"use one of those (--method {string.Join('|', offered.Where(o => o is "flr" or "pm" or "bus"))}), or --method hot for its bus.");
        }

        using var session = VfioSession.Open(address);
        string path = session.Backend == VfioBackend.Iommufd ? $"iommufd, {session.Device.Cdev}" : $"container, /dev/vfio/{session.Group.Number}";
        if (method == ResetMethod.Hot)
        {
            var affected = session.Device.GetHotResetInfo();
            session.HotReset();
            return $"hot reset of {address} (VFIO_DEVICE_PCI_HOT_RESET through {path}); it reset {string.Join(", ", affected.Select(d => d.Address.ToString()))}";
        }
        if (method == ResetMethod.Default)
        {
            session.Device.Reset();
            string order = File.Exists(resetMethodFile) ? File.ReadAllText(resetMethodFile).Trim() : "?";
            return $"reset {address} (VFIO_DEVICE_RESET through {path}; the kernel tries, in order: {order})";
        }
        // One method for the duration of the reset, then the list as it was.
        File.WriteAllText(resetMethodFile, SysfsName(method));
        try
        {
            session.Device.Reset();
        }
        finally
        {
            File.WriteAllText(resetMethodFile, previous!);
        }
        return $"reset {address} with {SysfsName(method)} (VFIO_DEVICE_RESET through {path}; reset_method restored to: {previous})";
    }
}

/// <summary>A reset vfioctl will not do (exit 3): the reason, and what to do instead.</summary>
internal sealed class ResetRefusedException(string message, string hint) : Exception(message)
{
    public string Hint { get; } = hint;
}
