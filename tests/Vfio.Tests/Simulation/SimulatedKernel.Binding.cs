using Vfio.Execution.Kernel;

namespace Vfio.Tests.Simulation;

public sealed partial class SimulatedKernel
{
    /// <summary>
    /// drivers/base/bus.c drivers_probe_store: ENODEV for a name that is no device; otherwise
    /// bus_rescan_devices_helper, which leaves a bound device alone and else runs device_attach.
    /// Success even when nothing bound; EINVAL only when attaching failed with a negative error
    /// (a kernel driver refused a user-owned group in dma_configure).
    /// </summary>
    private Errno StoreDriversProbe(string buffer)
    {
        var device = FindDevice(buffer);
        if (device is null) return Errno.ENODEV;
        if (device.Driver is not null) return 0;
        // __device_attach → bus_for_each_drv(__device_attach_driver): the first driver that
        // matches and probes wins; a probe error (positive from really_probe) lets the next try.
        foreach (var driver in _drivers.ToList())
        {
            if (!Matches(driver, device)) continue;
            int result = Probe(driver, device);
            if (result == 0) return 0;
            if (result < 0) return Errno.EINVAL;
        }
        return 0;
    }

    /// <summary>
    /// drivers/base/bus.c bind_store: ENODEV unless the device exists and the driver matches it
    /// (pci_bus_match); then device_driver_attach, which waits for the device lock.
    /// </summary>
    private Errno StoreBind(string driver, string buffer, out BlockedWrite? blocked)
    {
        blocked = null;
        var device = FindDevice(buffer);
        if (device is null || !Matches(driver, device)) return Errno.ENODEV;
        if (device.Locked)
        {
            blocked = new BlockedWrite(() => AttachLocked(driver, device));
            device.WaitingForLock.Add(blocked);
            return 0;
        }
        return AttachLocked(driver, device);
    }

    /// <summary>device_driver_attach → __driver_probe_device, with the device lock held.</summary>
    private Errno AttachLocked(string driver, SimulatedDevice device)
    {
        if (device.Driver is not null) return Errno.EBUSY;
        // pci_device_probe → __pci_device_probe matches again under the lock: an override changed
        // while waiting makes it -ENODEV (seen on 6.12).
        if (!Matches(driver, device)) return Errno.ENODEV;
        return (Errno)Math.Abs(Probe(driver, device));
    }

    /// <summary>
    /// drivers/base/bus.c unbind_store: ENODEV unless the device is bound to this driver; then
    /// device_driver_detach. A second unbind while one is blocked waits for the device lock and
    /// then finds nothing to do.
    /// </summary>
    private Errno StoreUnbind(string driver, string buffer, out BlockedWrite? blocked)
    {
        blocked = null;
        var device = FindDevice(buffer);
        if (device is null || device.Driver != driver) return Errno.ENODEV;
        if (device.Locked)
        {
            blocked = new BlockedWrite(() => 0);
            device.WaitingForLock.Add(blocked);
            return 0;
        }
        // __device_release_driver: driver_sysfs_remove (the links go) before the driver's remove.
        RemoveDriverLinks(device, driver);
        if (IsVfioDriver(driver) && _holds.Any(h => !h.Released && h.OpenDevices.Contains(device)))
        {
            // vfio_pci_remove → vfio_unregister_group_dev waits until every device fd is closed
            // ("No device request channel registered, blocked until released by user"); meanwhile
            // dev->driver is still set: uevent keeps DRIVER= and /dev/vfio/N stays (seen on 6.12).
            blocked = new BlockedWrite(() =>
            {
                FinishDetach(device);
                return 0;
            });
            device.Unbinding = blocked;
            return 0;
        }
        if (IsVfioDriver(driver) && device.Sriov is { Vfs.Count: > 0 } sriov)
        {
            // vfio_pci_core_unregister_device → vfio_pci_core_sriov_configure(vdev, 0): the VFs go
            // first (whatever enable_sriov says), waiting for any a holder has open (seen: the PF's
            // unbind removes its VFs on 6.1 and 6.12).
            if (!ContinueRemoval(device))
            {
                blocked = new BlockedWrite(() =>
                {
                    FinishDetach(device);
                    return 0;
                });
                sriov.PendingRemoval = blocked;
                return 0;
            }
        }
        FinishDetach(device);
        return 0;
    }

    /// <summary>
    /// pci_match_device: with driver_override set, only the named driver matches (and always
    /// does: pci_device_id_any, or vfio-pci's override_only table). Without it, the static id
    /// tables decide; the capture's binding stands for them. vfio-pci and its variants
    /// (override_only ids) and pci-stub (no id table) match nothing without an override, even a
    /// device the capture had on them. Dynamic ids (new_id, pci-stub.ids=) are not modelled.
    /// </summary>
    private bool Matches(string driver, SimulatedDevice device) =>
        device.Override is { } chosen
            ? chosen == driver
            : driver == device.NativeDriver && !IsVfioDriver(driver) && driver != "pci-stub";

    /// <summary>
    /// dd.c really_probe for a matched driver: 0 when bound; a negative errno when it failed
    /// before the driver's probe (dma_configure); a positive errno when the probe failed.
    /// </summary>
    private int Probe(string driver, SimulatedDevice device)
    {
        // pci_dma_configure: a driver without driver_managed_dma needs the group's default domain,
        // which iommu_device_use_default_domain refuses (-EBUSY) while a user owns the group.
        if (!IsDmaManaged(driver) && device.Group is { } g && _holders.TryGetValue(g, out var holder) && holder.OwnsDma)
            return -(int)Errno.EBUSY;
        if (IsVfioDriver(driver))
        {
            // vfio_pci_core_register_device: hdr_type != PCI_HEADER_TYPE_NORMAL → -EINVAL
            // ("probe with driver vfio-pci failed with error -22", seen on 6.12 and 6.1).
            if (!device.NormalHeader) return (int)Errno.EINVAL;
            // vfio_group_find_or_alloc: no IOMMU group (and no no-IOMMU mode) → -EINVAL.
            if (device.Group is null) return (int)Errno.EINVAL;
            // vfio_pci_probe: "Cannot bind to PF with SR-IOV enabled" → -EBUSY (seen on 6.1 and 6.12).
            if (device.Sriov is { Vfs.Count: > 0 }) return (int)Errno.EBUSY;
        }
        // pci-stub's probe only logs "claimed by stub"; the others are taken to succeed, as they did in the capture.
        Attach(device, driver);
        return 0;
    }

    private void Attach(SimulatedDevice device, string driver)
    {
        device.Driver = driver;
        _tree.LinkRelative($"{device.Directory}/driver", $"{DriversDir}/{driver}");
        _tree.LinkRelative($"{DriversDir}/{driver}/{device.Name}", device.Directory);
        WriteUevent(device);
        if (IsVfioDriver(driver)) UpdateGroupNode(device.Group);
        // vfio_pci_vf_init: a PF's vf_token starts as a random UUID (uuid_gen).
        if (IsVfioDriver(driver) && device.Sriov is { } sriov) sriov.VfToken = Guid.NewGuid();
    }

    /// <summary>The end of __device_release_driver: dev->driver cleared, uevent without DRIVER=, the group node re-evaluated.</summary>
    private void FinishDetach(SimulatedDevice device)
    {
        var driver = device.Driver;
        device.Driver = null;
        device.Unbinding = null;
        if (driver is null) return;
        RemoveDriverLinks(device, driver);
        WriteUevent(device);
        if (IsVfioDriver(driver)) UpdateGroupNode(device.Group);
        if (IsVfioDriver(driver) && device.Sriov is { } sriov) sriov.VfToken = null;
    }

    private void RemoveDriverLinks(SimulatedDevice device, string driver)
    {
        _tree.Remove($"{device.Directory}/driver");
        _tree.Remove($"{DriversDir}/{driver}/{device.Name}");
    }

    /// <summary>dev_uevent puts DRIVER= first while dev->driver is set; pci_uevent adds the rest.</summary>
    private void WriteUevent(SimulatedDevice device)
    {
        var path = $"{device.Directory}/uevent";
        var text = Files.ReadAllText(path);
        if (text is null) return;
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("DRIVER=", StringComparison.Ordinal)).ToList();
        if (device.Driver is { } driver) lines.Insert(0, "DRIVER=" + driver);
        _tree.WriteText(path, string.Join('\n', lines) + "\n");
    }

    /// <summary>
    /// <c>/dev/vfio/N</c> exists while a device of group N is bound to a vfio driver
    /// (vfio_device_set_group / vfio_device_remove_group). A simulated holder always has a device
    /// fd on the group's vfio devices, so the node cannot go while it is held (on a real 6.12 a
    /// holder with only the group and container open loses both when it goes).
    /// </summary>
    private void UpdateGroupNode(int? group)
    {
        if (group is not { } g) return;
        var node = $"/dev/vfio/{g}";
        if (_devices.Any(d => d.Group == g && d.Driver is { } driver && IsVfioDriver(driver))) _tree.Touch(node);
        else _tree.Remove(node);
    }

    private bool IsVfioDriver(string driver) => _modules.IsVfioDriver(driver);

    /// <summary>driver_managed_dma drivers (5.19+): vfio-pci and its variants, pci-stub, pcieport (kernel-facts section 1).</summary>
    private bool IsDmaManaged(string driver) => IsVfioDriver(driver) || driver is "pci-stub" or "pcieport";
}
