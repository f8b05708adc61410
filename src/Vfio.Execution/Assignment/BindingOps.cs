using Vfio.Execution.Kernel;
using Vfio.Host.Sysfs;
using Vfio.Policy.Drivers;

namespace Vfio.Execution.Assignment;

/// <summary>
/// The kernel's binding protocol, one verified step at a time (kernel-facts section 1):
/// set <c>driver_override</c>, unbind, write the address to <c>drivers_probe</c>, then re-read the
/// <c>driver</c> link, because drivers_probe reports success even when nothing bound.
/// Only a device on a vfio driver can make a write wait indefinitely (its unbind waits for the
/// userspace holder to close the device, kernel-facts section 4/5): those writes are bounded by
/// the timeout; the others are issued directly, which under emulation costs a third less per device.
/// </summary>
internal sealed class BindingOps(IKernel kernel, TimeSpan writeTimeout, Action<string> log)
{
    private HostFiles Files => kernel.Files;

    public static string DevicePath(PciAddress a) => $"/sys/bus/pci/devices/{a}";

    public string? CurrentDriver(PciAddress a) => Files.ReadLinkName($"{DevicePath(a)}/driver");

    public string? CurrentOverride(PciAddress a)
    {
        var v = Files.ReadAttribute($"{DevicePath(a)}/driver_override");
        return v is null or "(null)" or "" ? null : v;
    }

    /// <summary>For a VF, its PF (the <c>physfn</c> link); null for anything else.</summary>
    public string? PhysFnOf(PciAddress a) => Files.ReadLinkName($"{DevicePath(a)}/physfn");

    /// <summary>
    /// For a function on virtio-pci: its virtio device's negotiated features (the <c>features</c>
    /// file, bit 0 first), which vanish with the virtio device when it is unbound; else null.
    /// </summary>
    public string? VirtioFeaturesOf(PciAddress a)
    {
        var dir = DevicePath(a);
        var virtio = Files.List(dir).FirstOrDefault(Vfio.Host.Model.VirtioFunction.IsDeviceName);
        return virtio is null ? null : Files.ReadAttribute($"{dir}/{virtio}/features");
    }

    /// <summary>The module behind a registered driver (<c>drivers/D/module</c>), for journaling.</summary>
    public string? ModuleOf(string driver) => Files.ReadLinkName($"/sys/bus/pci/drivers/{driver}/module");

    /// <summary>How long a write to a device on <paramref name="driver"/> may take: bounded for vfio drivers, else unbounded.</summary>
    private TimeSpan TimeoutFor(string? driver) => DriverKinds.IsVfioDriver(driver) ? writeTimeout : Timeout.InfiniteTimeSpan;

    public void SetOverride(PciAddress a, string? driver) => SetOverride(a, driver, CurrentDriver(a));

    private void SetOverride(PciAddress a, string? driver, string? current)
    {
        // A zero-length write never reaches the kernel: "\n" clears the override.
        kernel.Write($"{DevicePath(a)}/driver_override", driver is null ? "\n" : driver, TimeoutFor(current));
        log($"{a}: driver_override = {driver ?? "(cleared)"}");
    }

    public void Unbind(PciAddress a) => Unbind(a, CurrentDriver(a));

    private void Unbind(PciAddress a, string? current)
    {
        if (current is null) return;
        kernel.Write($"{DevicePath(a)}/driver/unbind", a.ToString(), TimeoutFor(current));
        log($"{a}: unbound from {current}");
    }

    /// <summary>Asks the kernel to probe an unbound device (its override decides the driver); an unbound device has no holder to wait for.</summary>
    public void Probe(PciAddress a)
    {
        kernel.Write("/sys/bus/pci/drivers_probe", a.ToString(), Timeout.InfiniteTimeSpan);
    }

    /// <summary>Binds an unbound device explicitly through <c>drivers/D/bind</c> (used to return a device to its original driver).</summary>
    public void BindTo(PciAddress a, string driver)
    {
        kernel.Write($"/sys/bus/pci/drivers/{driver}/bind", a.ToString(), Timeout.InfiniteTimeSpan);
    }

    /// <summary>Moves a device to <paramref name="driver"/> with override + unbind + probe, and verifies.</summary>
    public void MoveTo(PciAddress a, string driver)
    {
        var current = CurrentDriver(a);
        SetOverride(a, driver, current);
        if (current == driver) return;
        Unbind(a, current);
        Probe(a);
        var now = CurrentDriver(a);
        if (now != driver)
            throw new KernelException($"binding {a} to {driver}", Errno.ENODEV,
                $"The kernel accepted the request but {a} is {(now is null ? "unbound" : $"on {now}")}: is {driver} loaded and willing to drive it? 'dmesg | tail' says why");
        log($"{a}: bound to {driver}");
    }

    /// <summary>Returns a device to a recorded state: override as it was, bound to the original driver or to none.</summary>
    public void ReturnTo(PciAddress a, string? driver, string? overrideValue)
    {
        SetOverride(a, overrideValue);
        Unbind(a);
        if (driver is null)
        {
            log($"{a}: left without a driver, as it was");
            return;
        }
        try
        {
            BindTo(a, driver);
        }
        catch (KernelException e) when (e.Error is Errno.ENODEV or Errno.EINVAL)
        {
            // No dynamic id or override matches: let the kernel match it the normal way.
            Probe(a);
        }
        var now = CurrentDriver(a);
        if (now != driver)
            throw new KernelException($"returning {a} to {driver}", Errno.ENODEV,
                $"{a} is {(now is null ? "unbound" : $"on {now}")}; bind it by hand: echo {a} > /sys/bus/pci/drivers/{driver}/bind");
        log($"{a}: back on {driver}");
    }
}
