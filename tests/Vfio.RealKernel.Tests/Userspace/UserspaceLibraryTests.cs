using System.Diagnostics;
using Vfio.Userspace;

namespace Vfio.RealKernel.Tests.Userspace;

/// <summary>
/// The VFIO userspace library against a real kernel: QEMU's edu devices and NVMe in the basic
/// topology, through vfio-pci and the emulated Intel IOMMU.
/// </summary>
[Trait("topology", "basic")]
public sealed class UserspaceLibraryTests
{
    private static readonly PciAddress Nvme = PciAddress.Parse("0000:01:00.0");

    [Fact]
    public void Device_info_regions_and_irqs_are_what_vfio_pci_reports_for_edu()
    {
        Guest.Require("basic");
        using var bound = VfioBinding.ToVfio(Edu.Alone);
        using var session = VfioSession.Open(Edu.Alone, new VfioSessionOptions { Backend = VfioBackend.Container });

        Assert.Equal(1, session.Group.Number);
        Assert.Equal(VfioGroupFlags.Viable | VfioGroupFlags.ContainerSet, session.Group.GetStatus());
        Assert.Equal(VfioExtension.Type1v2, session.Container.IommuModel);
        Assert.True(session.Container.CheckExtension(VfioExtension.Type1));
        Assert.False(session.Container.CheckExtension(VfioExtension.SpaprTce));

        var info = session.Device.Info;
        Assert.True(info.IsPci);
        Assert.Equal(9, info.RegionCount);
        Assert.Equal(5, info.IrqCount);

        var bar0 = session.Device.GetRegionInfo(VfioPciRegion.Bar0);
        Assert.Equal(1UL << 20, bar0.Size);
        Assert.Equal(VfioRegionFlags.Read | VfioRegionFlags.Write | VfioRegionFlags.Mmap, bar0.Flags & ~VfioRegionFlags.Caps);
        var config = session.Device.GetRegionInfo(VfioPciRegion.Config);
        Assert.Equal(256UL, config.Size);
        Assert.False(config.CanMmap);
        Assert.Equal(0UL, session.Device.GetRegionInfo(VfioPciRegion.Bar1).Size);
        var absent = Assert.Throws<VfioException>(() => session.Device.MapBar(1));
        Assert.Equal(VfioErrorKind.NotSupported, absent.Kind);

        var msi = session.Device.GetIrqInfo(VfioIrqIndex.Msi);
        Assert.Equal(1, msi.Count);
        Assert.True(msi.Flags.HasFlag(VfioIrqFlags.Eventfd));
        var intx = session.Device.GetIrqInfo(VfioIrqIndex.Intx);
        Assert.Equal(1, intx.Count);
        Assert.True(intx.Flags.HasFlag(VfioIrqFlags.Automasked));
        Assert.Equal(0, session.Device.GetIrqInfo(VfioIrqIndex.MsiX).Count);

        // The IOMMU's IOVA ranges exclude the x86 MSI window.
        var iommu = session.Container.GetIommuInfo();
        Assert.Equal(4096UL, iommu.MinPageSize);
        Assert.DoesNotContain(iommu.IovaRanges, r => r.Start <= 0xfee00000 && r.End >= 0xfee00000);
    }

    [Theory, MemberData(nameof(Backends.ForThisKernel), MemberType = typeof(Backends))]
    public void Bar0_identifies_edu_and_its_liveness_register_inverts(VfioBackend backend)
    {
        Guest.Require("basic");
        using var bound = VfioBinding.ToVfio(Edu.Alone);
        using var session = Backends.Open(Edu.Alone, backend);
        using var bar = session.Device.MapBar(0);

        Assert.Equal([new VfioSparseMmapArea(0, 1 << 20)], bar.MappedAreas);
        Assert.Equal(0x010000edu, bar.Read32(Edu.Id));
        foreach (uint v in new uint[] { 0x12345678, 0, 0xffffffff })
        {
            bar.Write32(Edu.Liveness, v);
            Assert.Equal(~v, bar.Read32(Edu.Liveness));
        }
        // The same register through the device fd instead of the mapping.
        Span<byte> viaFd = stackalloc byte[4];
        session.Device.ReadRegion(0, Edu.Id, viaFd);
        Assert.Equal(0x010000edu, BitConverter.ToUInt32(viaFd));
        Assert.Throws<ArgumentOutOfRangeException>(() => bar.Read32((1 << 20) - 2));
        Assert.Throws<ArgumentException>(() => bar.Read32(2));
    }

    [Theory, MemberData(nameof(Backends.ForThisKernel), MemberType = typeof(Backends))]
    public void Config_space_through_vfio_shows_edu_and_its_msi_capability(VfioBackend backend)
    {
        Guest.Require("basic");
        using var bound = VfioBinding.ToVfio(Edu.Alone);
        using var session = Backends.Open(Edu.Alone, backend);
        var config = session.Device.Config;

        Assert.Equal(0x1234, config.VendorId);
        Assert.Equal(0x11e8, config.DeviceId);
        Assert.Equal(256, config.Length);
        Assert.Equal(0x40, config.FindCapability(PciCapabilityId.Msi)?.Offset);
        Assert.Null(config.Capabilities.Problem);
        Assert.Empty(config.ExtendedCapabilities);

        config.EnableBusMaster();
        Assert.True(config.Command.HasFlag(PciCommand.BusMaster));
    }

    [Theory, MemberData(nameof(Backends.ForThisKernel), MemberType = typeof(Backends))]
    public async Task Factorial_completion_arrives_as_an_msi_that_is_awaited(VfioBackend backend)
    {
        Guest.Require("basic");
        using var bound = VfioBinding.ToVfio(Edu.Alone);
        using var session = Backends.Open(Edu.Alone, backend);
        using var bar = session.Device.MapBar(0);
        session.Device.Config.EnableBusMaster();
        var msi = Assert.Single(session.Device.Interrupts.EnableMsi(1));
        Assert.Equal(VfioIrqIndex.Msi, session.Device.Interrupts.ActiveIndex);
        Assert.False(msi.TryRead(out _));

        bar.Write32(Edu.Status, 0x80);
        bar.Write32(Edu.Factorial, 12);
        using var cts = new CancellationTokenSource(Edu.Timeout);
        ulong count = await msi.WaitAsync(cts.Token);

        Assert.True(count >= 1);
        Assert.Equal(1u, bar.Read32(Edu.IrqStatus) & 1);
        Assert.Equal(479001600u, bar.Read32(Edu.Factorial));
        bar.Write32(Edu.IrqAck, 1);

        // A wait with nothing coming is cancelled by its token, not left hanging.
        using var shortWait = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await msi.WaitAsync(shortWait.Token));
    }

    [Theory, MemberData(nameof(Backends.ForThisKernel), MemberType = typeof(Backends))]
    public async Task Dma_round_trip_through_the_iommu_returns_the_same_bytes(VfioBackend backend)
    {
        Guest.Require("basic");
        using var edu = EduDma.Open(backend);
        var (session, bar, irq) = (edu.Session, edu.Bar, edu.Irq);
        using var buffer = session.AllocateDma(2 * Edu.Transfer, Edu.DmaMask);

        Assert.True(buffer.Iova + buffer.Length - 1 <= Edu.DmaMask);
        Assert.NotEqual(0UL, buffer.Iova);
        Random.Shared.NextBytes(buffer.Span[..Edu.Transfer]);
        buffer.Span[Edu.Transfer..].Fill(0);

        Assert.True(await Edu.DmaAsync(bar, irq, buffer.Iova, Edu.DeviceBuffer, Edu.Transfer, toRam: false), "RAM to device DMA did not finish");
        Assert.True(await Edu.DmaAsync(bar, irq, Edu.DeviceBuffer, buffer.Iova + Edu.Transfer, Edu.Transfer, toRam: true), "device to RAM DMA did not finish");
        Assert.True(buffer.Span[..Edu.Transfer].SequenceEqual(buffer.Span[Edu.Transfer..]), "the bytes that came back differ");
    }

    [Theory, MemberData(nameof(Backends.ForThisKernel), MemberType = typeof(Backends))]
    public async Task Each_backend_dma_space_reports_its_iova_ranges_and_carries_a_round_trip(VfioBackend backend)
    {
        Guest.Require("basic");
        using var edu = EduDma.Open(backend);
        var (session, bar, irq) = (edu.Session, edu.Bar, edu.Irq);

        Assert.Equal(backend, session.Backend);
        Assert.Same(session.Dma, session.Device.Dma);
        var dma = session.Device.Dma;
        Assert.Equal(backend, dma.Backend);
        if (backend == VfioBackend.Container)
        {
            Assert.Same(session.Container, session.Dma);
            Assert.Equal("/dev/vfio/vfio", dma.Path);
            Assert.Equal(session.Container.GetIommuInfo().IovaRanges, dma.IovaRanges);
            Assert.Null(session.Device.Cdev);
        }
        else
        {
            var ioas = Assert.IsType<IommufdIoas>(dma);
            Assert.Same(session.Iommufd, ioas.Owner);
            Assert.Equal("/dev/iommu", dma.Path);
            Assert.Throws<InvalidOperationException>(() => session.Group);
            Assert.StartsWith("/dev/vfio/devices/vfio", session.Device.Cdev);
            Assert.NotNull(session.Device.IommufdDeviceId);
        }
        // Read after the attach: the x86 MSI window is reserved on both paths.
        Assert.DoesNotContain(dma.IovaRanges, r => r.Start <= 0xfee00000 && r.End >= 0xfee00000);
        Assert.Equal(4096UL, dma.PageSizes & (~dma.PageSizes + 1));

        using var buffer = dma.AllocateDma(2 * Edu.Transfer, Edu.DmaMask);
        Random.Shared.NextBytes(buffer.Span[..Edu.Transfer]);
        buffer.Span[Edu.Transfer..].Fill(0);
        Assert.True(await Edu.DmaAsync(bar, irq, buffer.Iova, Edu.DeviceBuffer, Edu.Transfer, toRam: false), "RAM to device DMA did not finish");
        Assert.True(await Edu.DmaAsync(bar, irq, Edu.DeviceBuffer, buffer.Iova + Edu.Transfer, Edu.Transfer, toRam: true), "device to RAM DMA did not finish");
        Assert.True(buffer.Span[..Edu.Transfer].SequenceEqual(buffer.Span[Edu.Transfer..]), "the bytes that came back differ");
    }

    [Fact]
    public void The_automatic_choice_takes_iommufd_where_the_kernel_has_it_and_the_container_elsewhere_saying_why()
    {
        Guest.Require("basic");
        using var bound = VfioBinding.ToVfio(Edu.Alone);
        if (Backends.KernelHasIommufd)
        {
            using var session = VfioSession.Open(Edu.Alone);
            Assert.Equal(VfioBackend.Iommufd, session.Backend);
            Assert.StartsWith("iommufd: /dev/iommu and the device cdev /dev/vfio/devices/vfio", session.BackendReason);
            return;
        }
        // Debian's kernels: no iommufd. Asked for by name it is refused with the reason and what to use,
        // and the refusal leaves nothing open: the automatic choice opens the group at once.
        var refused = Assert.Throws<VfioException>(() => VfioSession.Open(Edu.Alone, new VfioSessionOptions { Backend = VfioBackend.Iommufd }));
        Assert.Equal(VfioErrorKind.IommuUnavailable, refused.Kind);
        Assert.Contains("/dev/iommu does not exist", refused.Message);
        Assert.Contains("VfioBackend.Container", refused.Message);
        using var auto = VfioSession.Open(Edu.Alone);
        Assert.Equal(VfioBackend.Container, auto.Backend);
        Assert.StartsWith("container: /dev/iommu does not exist", auto.BackendReason);
        Assert.Equal(VfioGroupFlags.Viable | VfioGroupFlags.ContainerSet, auto.Group.GetStatus());
        using var bar = auto.Device.MapBar(0);
        Assert.Equal(0x010000edu, bar.Read32(Edu.Id));
    }

    [Theory, MemberData(nameof(Backends.ForThisKernel), MemberType = typeof(Backends))]
    public async Task Dma_to_an_unmapped_iova_is_blocked_and_the_memory_stays_untouched(VfioBackend backend)
    {
        Guest.Require("basic");
        using var edu = EduDma.Open(backend);
        var (session, bar, irq) = (edu.Session, edu.Bar, edu.Irq);

        // Give the device's buffer known contents, so a write that got through would be visible.
        using (var source = session.AllocateDma(Edu.Transfer, Edu.DmaMask))
        {
            source.Span.Fill(0x5a);
            Assert.True(await Edu.DmaAsync(bar, irq, source.Iova, Edu.DeviceBuffer, Edu.Transfer, toRam: false));
        }
        using var target = session.AllocateDma(Edu.Transfer, Edu.DmaMask);
        target.Span.Fill(0xa5);
        Assert.Equal(target.Length, session.Dma.UnmapDma(target.Iova, target.Length));
        string faultsBefore = Guest.Sh("dmesg | grep -c 'PTE Write access is not set' || true").Trim();

        Assert.True(await Edu.DmaAsync(bar, irq, Edu.DeviceBuffer, target.Iova, Edu.Transfer, toRam: true), "the DMA command did not finish");

        Assert.True(target.Span.IndexOfAnyExcept((byte)0xa5) < 0, "memory once mapped at the IOVA was written");
        string faultsAfter = Guest.Sh("dmesg | grep -c 'PTE Write access is not set' || true").Trim();
        Assert.True(int.Parse(faultsAfter) > int.Parse(faultsBefore), $"no new DMAR fault logged ({faultsBefore} -> {faultsAfter})");
    }

    [Theory, MemberData(nameof(Backends.ForThisKernel), MemberType = typeof(Backends))]
    public async Task Intx_is_delivered_when_msi_is_off_and_comes_again_only_after_unmask(VfioBackend backend)
    {
        Guest.Require("basic");
        using var bound = VfioBinding.ToVfio(Edu.Alone);
        using var session = Backends.Open(Edu.Alone, backend);
        using var bar = session.Device.MapBar(0);
        var intx = session.Device.Interrupts.EnableIntx();
        Assert.Equal(VfioIrqIndex.Intx, session.Device.Interrupts.ActiveIndex);

        bar.Write32(Edu.IrqRaise, 0x10);
        using (var cts = new CancellationTokenSource(Edu.Timeout))
            Assert.Equal(1UL, await intx.WaitAsync(cts.Token));
        Assert.Equal(0x10u, bar.Read32(Edu.IrqStatus));
        bar.Write32(Edu.IrqAck, 0x10);

        // The kernel masked the line when it signalled (AUTOMASKED): a new interrupt waits for Unmask.
        bar.Write32(Edu.IrqRaise, 0x20);
        await Task.Delay(1500, TestContext.Current.CancellationToken);
        Assert.False(intx.TryRead(out _), "an INTx got through while the line was masked");
        var next = intx.WaitAsync(TestContext.Current.CancellationToken);
        intx.Unmask();
        var nextTask = next.AsTask();
        Assert.True(await Task.WhenAny(nextTask, Task.Delay(Edu.Timeout, TestContext.Current.CancellationToken)) == nextTask, "no INTx after Unmask");
        Assert.Equal(0x20u, bar.Read32(Edu.IrqStatus));
        bar.Write32(Edu.IrqAck, 0x20);
        intx.Unmask();

        // Switching to MSI disables INTx first (vfio-pci allows one index at a time).
        var msi = session.Device.Interrupts.EnableMsi(1)[0];
        Assert.Equal(VfioIrqIndex.Msi, msi.Index);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await intx.WaitAsync(TestContext.Current.CancellationToken));
    }

    [Theory, MemberData(nameof(Backends.ForThisKernel), MemberType = typeof(Backends))]
    public void Reset_works_on_nvme_and_edu_without_a_reset_says_so(VfioBackend backend)
    {
        Guest.Require("basic");
        using var bound = VfioBinding.ToVfio(Nvme, Edu.Alone);
        using (var nvme = Backends.Open(Nvme, backend))
        {
            Assert.True(nvme.Device.Info.CanReset);
            using var bar = nvme.Device.MapBar(0);
            // NVMe CC (0x14) keeps the queue entry sizes written while the controller is disabled; a
            // function-level reset clears it (QEMU's nvme_ctrl_reset zeroes CC, CSTS, INTMS, INTMC).
            bar.Write32(0x14, 0x00460000);
            Assert.Equal(0x00460000u, bar.Read32(0x14));
            nvme.Device.Reset();
            Assert.Equal(0u, bar.Read32(0x14));
            Assert.Equal(0x1b36, nvme.Device.Config.VendorId);
        }
        using var edu = Backends.Open(Edu.Alone, backend);
        Assert.False(edu.Device.Info.CanReset);
        var e = Assert.Throws<VfioException>(() => edu.Device.Reset());
        Assert.Equal(VfioErrorKind.NotSupported, e.Kind);
        var hot = Assert.Throws<VfioException>(() => edu.Device.GetHotResetInfo());
        Assert.Equal(VfioErrorKind.NotSupported, hot.Kind);
    }

    [Theory, MemberData(nameof(Backends.ForThisKernel), MemberType = typeof(Backends))]
    public async Task Nvme_bar0_capabilities_come_through_the_grown_info_and_msix_vectors_signal(VfioBackend backend)
    {
        Guest.Require("basic");
        using var bound = VfioBinding.ToVfio(Nvme);
        using var session = Backends.Open(Nvme, backend);

        // BAR0 holds the MSI-X table: its info carries a capability chain, which only arrives when
        // argsz is grown and the ioctl retried. With interrupt remapping the table is mappable.
        var bar0 = session.Device.GetRegionInfo(VfioPciRegion.Bar0);
        Assert.True(bar0.Flags.HasFlag(VfioRegionFlags.Caps), $"flags {bar0.Flags}");
        Assert.True(bar0.MsixMappable, string.Join(", ", bar0.Capabilities));
        using var bar = session.Device.MapBar(0);
        Assert.Equal([new VfioSparseMmapArea(0, bar0.Size)], bar.MappedAreas);
        Assert.Equal(0x1b36, session.Device.Config.VendorId);
        var msixCap = session.Device.Config.FindCapability(PciCapabilityId.MsiX);
        Assert.NotNull(msixCap);

        var info = session.Device.GetIrqInfo(VfioIrqIndex.MsiX);
        Assert.True(info.Count >= 4, $"{info.Count} MSI-X vectors");
        var vectors = session.Device.Interrupts.EnableMsix(4);
        Assert.Equal([0, 1, 2, 3], vectors.Select(v => v.Vector));
        // The MSI-X enable bit is set in the device's (virtualised) capability.
        Assert.True((session.Device.Config.Read16(msixCap.Value.Offset + 2) & 0x8000) != 0);

        // Loopback: the kernel signals vector 2's eventfd; only that vector's waiter completes.
        var waits = vectors.Select(v => v.WaitAsync(TestContext.Current.CancellationToken).AsTask()).ToArray();
        vectors[2].Trigger();
        using var cts = new CancellationTokenSource(Edu.Timeout);
        Assert.Same(waits[2], await Task.WhenAny(waits[2], Task.Delay(Timeout.Infinite, cts.Token)));
        Assert.Equal(1UL, await waits[2]);
        Assert.All(new[] { waits[0], waits[1], waits[3] }, t => Assert.False(t.IsCompleted));

        session.Device.Interrupts.Disable(VfioIrqIndex.MsiX);
        Assert.Null(session.Device.Interrupts.ActiveIndex);
        foreach (var t in new[] { waits[0], waits[1], waits[3] })
            await Assert.ThrowsAsync<ObjectDisposedException>(() => t);
        Assert.True((session.Device.Config.Read16(msixCap.Value.Offset + 2) & 0x8000) == 0);
    }

    [Theory, MemberData(nameof(Backends.ForThisKernel), MemberType = typeof(Backends))]
    public async Task Huge_page_dma_buffers_work_when_the_system_has_huge_pages(VfioBackend backend)
    {
        Guest.Require("basic");
        using var edu = EduDma.Open(backend);
        var (session, bar, irq) = (edu.Session, edu.Bar, edu.Irq);

        // No huge pages reserved: Huge fails with the remedy, Auto falls back to 4 KiB pages.
        Guest.Sh("echo 0 > /proc/sys/vm/nr_hugepages");
        var none = Assert.Throws<VfioException>(() => session.Dma.AllocateDma(2 << 20, Edu.DmaMask, pageSize: DmaPageSize.Huge));
        Assert.Contains("nr_hugepages", none.Hint);
        using (var small = session.Dma.AllocateDma(2 << 20, Edu.DmaMask))
            Assert.False(small.HugePages);

        Guest.Sh("echo 2 > /proc/sys/vm/nr_hugepages");
        try
        {
            using var huge = session.Dma.AllocateDma(4096, Edu.DmaMask, pageSize: DmaPageSize.Huge);
            Assert.True(huge.HugePages);
            Assert.Equal((nuint)(2 << 20), huge.Length);
            Assert.Equal(0UL, huge.Iova % (2 << 20));
            Random.Shared.NextBytes(huge.Span[..Edu.Transfer]);
            // Back into the far end of the huge page, so the whole page is known to be mapped.
            ulong far = huge.IovaAt(huge.Length - Edu.Transfer);
            Assert.True(await Edu.DmaAsync(bar, irq, huge.Iova, Edu.DeviceBuffer, Edu.Transfer, toRam: false));
            Assert.True(await Edu.DmaAsync(bar, irq, Edu.DeviceBuffer, far, Edu.Transfer, toRam: true));
            Assert.True(huge.Span[..Edu.Transfer].SequenceEqual(huge.Span[^Edu.Transfer..]));
        }
        finally
        {
            Guest.Sh("echo 0 > /proc/sys/vm/nr_hugepages");
        }
    }

    [Fact]
    public void Hot_reset_info_behind_the_bridge_lists_every_device_on_the_bus_with_its_group()
    {
        Guest.Require("basic");
        // Fence the e1000 with pci-stub so the bridge group is viable.
        using var bound = VfioBinding.Bind((Edu.E1000, "pci-stub"), (Edu.BehindBridge, "vfio-pci"));
        using var session = VfioSession.Open(Edu.BehindBridge, new VfioSessionOptions { Backend = VfioBackend.Container });
        Assert.Equal(4, session.Group.Number);
        var affected = session.Device.GetHotResetInfo();
        Assert.Equal([new VfioHotResetDevice(4, Edu.E1000), new VfioHotResetDevice(4, Edu.BehindBridge)], affected.OrderBy(d => d.Address));
    }

    [Fact]
    public void Eperm_on_a_non_viable_group_names_the_member_that_blocks()
    {
        Guest.Require("basic");
        using var bound = VfioBinding.ToVfio(Edu.BehindBridge);
        Assert.Equal("e1000", Guest.DriverOf(Edu.E1000));

        var e = OpenFailure.Expect(() => VfioSession.Open(Edu.BehindBridge, new VfioSessionOptions { Backend = VfioBackend.Container }));
        Assert.Equal(VfioErrorKind.GroupNotViable, e.Kind);
        Assert.Equal(1, (int)e.Errno);
        Assert.Equal("VFIO_GROUP_SET_CONTAINER", e.Operation);
        Assert.Contains("0000:03:01.0 is bound to e1000", e.Message);
        Assert.DoesNotContain("0000:00:05.0 is bound", e.Message);
        Assert.Contains("vfioctl bind 0000:03:01.0", e.Hint);
        // The failed open released the group: it can be opened again at once.
        using var group = VfioGroup.Open(4);
        Assert.Equal(VfioGroupFlags.None, group.GetStatus());
    }

    [Fact]
    public void Ebusy_on_a_second_group_open_names_the_holder()
    {
        Guest.Require("basic");
        using var bound = VfioBinding.ToVfio(Edu.Alone);
        using (var holder = Process.Start("/bin/sh", ["-c", "exec 3<>/dev/vfio/1; exec sleep 60"]))
        {
            try
            {
                var deadline = DateTime.UtcNow.AddSeconds(15);
                while (!Directory.EnumerateFileSystemEntries($"/proc/{holder.Id}/fd").Any(fd => new FileInfo(fd).LinkTarget == "/dev/vfio/1"))
                {
                    Assert.True(DateTime.UtcNow < deadline, "the holder never opened /dev/vfio/1");
                    Thread.Sleep(50);
                }
                var e = OpenFailure.Expect(() => VfioSession.Open(Edu.Alone, new VfioSessionOptions { Backend = VfioBackend.Container }));
                Assert.Equal(VfioErrorKind.GroupBusy, e.Kind);
                Assert.Equal(16, (int)e.Errno);
                Assert.Contains($"held by pid {holder.Id} (sleep)", e.Message);
            }
            finally
            {
                holder.Kill();
                holder.WaitForExit();
            }
        }
        using var session = VfioSession.Open(Edu.Alone, new VfioSessionOptions { Backend = VfioBackend.Container });
        var own = OpenFailure.Expect(() => VfioGroup.Open(1));
        Assert.Contains($"pid {Environment.ProcessId}", own.Message);
        Assert.Contains("this process", own.Message);
    }

    [Fact]
    public async Task Teardown_releases_the_device_so_unset_reopen_and_unbind_all_work()
    {
        Guest.Require("basic");
        using var bound = VfioBinding.ToVfio(Edu.Alone);
        var session = VfioSession.Open(Edu.Alone, new VfioSessionOptions { Backend = VfioBackend.Container });
        var bar = session.Device.MapBar(0);
        session.Device.Config.EnableBusMaster();
        session.Device.Interrupts.EnableMsi(1);
        var buffer = session.AllocateDma(4096, Edu.DmaMask);

        // The kernel refuses the wrong order: the container cannot be unset while the device is open.
        var early = Assert.Throws<VfioException>(() => session.Group.UnsetContainer());
        Assert.Equal(16, (int)early.Errno);

        await SessionTeardown.AssertReleasedAsync(session, bar, buffer);
    }
}
