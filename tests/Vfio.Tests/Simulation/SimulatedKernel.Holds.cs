using Vfio.Execution.Kernel;

namespace Vfio.Tests.Simulation;

public sealed partial class SimulatedKernel
{
    /// <summary>The comm of the simulated holder, as <c>/proc/PID/comm</c> shows it.</summary>
    public const string HolderComm = "simulated-user";

    /// <summary>The first pid a simulated holder gets.</summary>
    public const int FirstHolderPid = 4242;

    /// <summary>
    /// Simulates a userspace driver holding group <paramref name="group"/>: opens
    /// <c>/dev/vfio/N</c> (ENOENT when it does not exist; EBUSY when already open, the
    /// single-open rule of vfio_group_fops_open), attaches it to a container (EPERM when a kernel
    /// driver owns DMA in the group: iommu_group_claim_dma_owner), sets the type1 IOMMU (ENODEV
    /// without vfio_iommu_type1) and opens every member bound to a vfio driver. While held, a
    /// kernel driver cannot bind into the group and unbinding an open device blocks. Shows the
    /// holder in procfs: <c>/proc/4242/fd/3 -> /dev/vfio/N</c>, <c>fd/4 -> /dev/vfio/vfio</c>,
    /// <c>fd/5... -> anon_inode:[vfio-device]</c> and <c>/proc/4242/comm</c>. Dispose closes it all.
    /// <paramref name="options"/> follow each device's name in VFIO_GROUP_GET_DEVICE_FD
    /// (<c>vf_token=UUID</c>), with the kernel's VF token rules: EINVAL for anything malformed or
    /// unused, EACCES for a VF of a vfio-pci PF without the PF's token (kernel-facts section 4).
    /// </summary>
    public IDisposable HoldGroupOpen(int group, string? options = null)
    {
        lock (_gate)
        {
            var node = $"/dev/vfio/{group}";
            if (!_tree.Exists(node))
                throw new KernelException($"opening {node}", Errno.ENOENT, "No device of the group is bound to vfio-pci.");
            if (_holders.ContainsKey(group))
                throw new KernelException($"opening {node}", Errno.EBUSY, "Another process has the group open.");
            var members = _devices.Where(d => d.Group == group).ToList();
            if (members.FirstOrDefault(d => d.Driver is { } driver && !IsDmaManaged(driver)) is { } owner)
                throw new KernelException($"VFIO_GROUP_SET_CONTAINER on {node}", Errno.EPERM,
                    $"{owner.Name} is bound to {owner.Driver}, which owns DMA: the group is not viable.");
            if (!_loaded.Contains("vfio_iommu_type1") && !_modules.IsBuiltIn("vfio_iommu_type1"))
                throw new KernelException("VFIO_SET_IOMMU (VFIO_TYPE1v2_IOMMU)", Errno.ENODEV, "vfio_iommu_type1 is not loaded.");

            var open = members.Where(d => d.Driver is { } driver && IsVfioDriver(driver) && d.Unbinding is null).ToList();
            var tokenUsers = new List<SimulatedSriov>();
            foreach (var device in open)
            {
                int users = device.PhysFn?.Sriov?.VfTokenUsers ?? 0;
                var error = OpenWithOptions(device, options);
                if (error != 0)
                {
                    foreach (var s in tokenUsers) s.VfTokenUsers--;
                    // The options are not repeated: they may hold a token.
                    throw new KernelException($"VFIO_GROUP_GET_DEVICE_FD {device.Name}", error);
                }
                if (device.PhysFn?.Sriov is { } pfSriov && pfSriov.VfTokenUsers > users) tokenUsers.Add(pfSriov);
            }
            int pid = FirstHolderPid;
            while (_holds.Any(h => h.Pid == pid)) pid++;
            _tree.WriteText($"/proc/{pid}/comm", HolderComm + "\n");
            _tree.LinkVerbatim($"/proc/{pid}/fd/3", node);
            _tree.LinkVerbatim($"/proc/{pid}/fd/4", "/dev/vfio/vfio");
            for (int i = 0; i < open.Count; i++) _tree.LinkVerbatim($"/proc/{pid}/fd/{5 + i}", "anon_inode:[vfio-device]");

            var hold = new SimulatedGroupHold(this, group, pid, open) { TokenUsers = tokenUsers };
            _holders[group] = hold;
            _holds.Add(hold);
            return hold;
        }
    }

    /// <summary>The holder closes its fds: blocked unbinds of its devices finish, then the writes waiting for those devices' locks.</summary>
    internal void Release(SimulatedGroupHold hold)
    {
        lock (_gate)
        {
            ReleaseLocked(hold);
        }
    }

    private void ReleaseLocked(SimulatedGroupHold hold)
    {
        if (hold.Released) return;
        hold.Released = true;
        _holds.Remove(hold);
        if (_holders.TryGetValue(hold.Group, out var current) && current == hold) _holders.Remove(hold.Group);
        _tree.RemoveDirectory($"/proc/{hold.Pid}");
        foreach (var sriov in hold.TokenUsers) sriov.VfTokenUsers--;
        foreach (var device in hold.OpenDevices)
        {
            device.Unbinding?.Complete();
            while (device.WaitingForLock.Count > 0)
            {
                var next = device.WaitingForLock[0];
                device.WaitingForLock.RemoveAt(0);
                next.Complete();
            }
        }
        ResumeRemovals();
    }
}
