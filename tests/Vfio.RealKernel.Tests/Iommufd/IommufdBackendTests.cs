using System.Diagnostics;
using Vfio.RealKernel.Tests.Userspace;
using Vfio.Userspace;

namespace Vfio.RealKernel.Tests.Iommufd;

/// <summary>
/// What only the iommufd backend has, on the lab's 7.3 kernel in the basic topology: memory mapped by
/// file (a memfd, a hugetlb memfd) carrying edu's DMA, the kernel's refusals through the cdev named
/// like the container's, and a teardown that lets the device go. The library tests shared with the
/// container run in Userspace/ with the backend as a parameter. Also: the struct layouts and request
/// numbers checked against this kernel's own uapi headers.
/// </summary>
[Trait("topology", "basic")]
public sealed class IommufdBackendTests
{
    private static void Require73()
    {
        Guest.Require("basic");
        Assert.SkipUnless(Backends.KernelHasIommufd, "iommufd and the VFIO device cdev exist only in the lab's 7.3 kernel");
    }

    [Theory, MemberData(nameof(Backends.ForThisKernel), MemberType = typeof(Backends))]
    public async Task Memfd_and_hugetlb_memfd_buffers_carry_dma_mapped_by_file_on_iommufd_and_by_address_on_the_container(VfioBackend backend)
    {
        Guest.Require("basic");
        using var edu = EduDma.Open(backend);
        var (session, bar, irq) = (edu.Session, edu.Bar, edu.Irq);
        Guest.Sh("echo 2 > /proc/sys/vm/nr_hugepages");
        try
        {
            foreach (var pageSize in new[] { DmaPageSize.Small, DmaPageSize.Huge })
            {
                using var buffer = session.Dma.AllocateDma(2 * Edu.Transfer, Edu.DmaMask, pageSize: pageSize, memory: DmaMemory.Memfd);
                Assert.Equal(DmaMemory.Memfd, buffer.Kind);
                Assert.NotNull(buffer.File);
                Assert.Equal(backend == VfioBackend.Iommufd, buffer.MappedByFile);
                Assert.Equal(pageSize == DmaPageSize.Huge, buffer.HugePages);
                // The buffer is a memfd: /proc shows this process holding it.
                Assert.Contains(Directory.EnumerateFileSystemEntries($"/proc/{Environment.ProcessId}/fd"),
                    fd => new FileInfo(fd).LinkTarget?.StartsWith("/memfd:vfio-dma", StringComparison.Ordinal) == true);

                Random.Shared.NextBytes(buffer.Span[..Edu.Transfer]);
                buffer.Span[Edu.Transfer..].Fill(0);
                Assert.True(await Edu.DmaAsync(bar, irq, buffer.Iova, Edu.DeviceBuffer, Edu.Transfer, toRam: false), $"{pageSize}: RAM to device DMA did not finish");
                Assert.True(await Edu.DmaAsync(bar, irq, Edu.DeviceBuffer, buffer.Iova + Edu.Transfer, Edu.Transfer, toRam: true), $"{pageSize}: device to RAM DMA did not finish");
                Assert.True(buffer.Span[..Edu.Transfer].SequenceEqual(buffer.Span[Edu.Transfer..(2 * Edu.Transfer)]), $"{pageSize}: the bytes that came back differ");
            }
        }
        finally
        {
            Guest.Sh("echo 0 > /proc/sys/vm/nr_hugepages");
        }
    }

    [Fact]
    public void A_group_with_a_member_on_a_kernel_driver_is_refused_at_the_cdev_bind_naming_that_member()
    {
        Require73();
        using var bound = VfioBinding.ToVfio(Edu.BehindBridge);
        Assert.Equal("e1000", Guest.DriverOf(Edu.E1000));

        var e = OpenFailure.Expect(() => VfioSession.Open(Edu.BehindBridge, Backends.Options(VfioBackend.Iommufd)));
        Assert.Equal(VfioErrorKind.GroupNotViable, e.Kind);
        Assert.Equal("VFIO_DEVICE_BIND_IOMMUFD", e.Operation);
        Assert.True(e.Message.Contains("0000:03:01.0 is bound to e1000", StringComparison.Ordinal), e.Message);
        Assert.Contains("vfioctl bind 0000:03:01.0", e.Hint);
        // Nothing stayed open: the container path reaches its own refusal (the group opens).
        var again = OpenFailure.Expect(() => VfioSession.Open(Edu.BehindBridge, Backends.Options(VfioBackend.Container)));
        Assert.Equal("VFIO_GROUP_SET_CONTAINER", again.Operation);
    }

    [Fact]
    public void The_cdev_is_refused_while_the_group_node_is_held_and_the_holder_is_named()
    {
        Require73();
        using var bound = VfioBinding.ToVfio(Edu.Alone);
        using var holder = Process.Start("/bin/sh", ["-c", "exec 3<>/dev/vfio/1; exec sleep 60"]);
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (!Directory.EnumerateFileSystemEntries($"/proc/{holder.Id}/fd").Any(fd => new FileInfo(fd).LinkTarget == "/dev/vfio/1"))
            {
                Assert.True(DateTime.UtcNow < deadline, "the holder never opened /dev/vfio/1");
                Thread.Sleep(50);
            }
            var e = OpenFailure.Expect(() => VfioSession.Open(Edu.Alone, Backends.Options(VfioBackend.Iommufd)));
            Assert.True(e.Kind == VfioErrorKind.GroupBusy, e.Message);
            Assert.Equal(16, (int)e.Errno);
            Assert.Contains($"held by pid {holder.Id} (sleep)", e.Message);
        }
        finally
        {
            holder.Kill();
            holder.WaitForExit();
        }
        using var session = VfioSession.Open(Edu.Alone, Backends.Options(VfioBackend.Iommufd));
        Assert.Equal(VfioBackend.Iommufd, session.Backend);
    }

    [Fact]
    public async Task Teardown_unbinds_the_device_from_the_iommufd_so_the_group_opens_and_unbind_returns()
    {
        Require73();
        using var bound = VfioBinding.ToVfio(Edu.Alone);
        var session = VfioSession.Open(Edu.Alone, Backends.Options(VfioBackend.Iommufd));
        var bar = session.Device.MapBar(0);
        session.Device.Config.EnableBusMaster();
        session.Device.Interrupts.EnableMsi(1);
        var buffer = session.AllocateDma(4096, Edu.DmaMask);
        // While the cdev is bound, the group node is refused (one owner model at a time).
        Assert.Equal(VfioErrorKind.GroupBusy, OpenFailure.Expect(() => VfioGroup.Open(1)).Kind);

        await SessionTeardown.AssertReleasedAsync(session, bar, buffer);
    }

    [Fact]
    public void Struct_layouts_and_request_numbers_match_this_kernels_own_uapi_headers()
    {
        Require73();
        var headers = Environment.GetEnvironmentVariable("VFIOCTL_LAB_HEADERS");
        Assert.False(string.IsNullOrEmpty(headers), "the lab exports the built kernel's uapi headers as VFIOCTL_LAB_HEADERS");
        Assert.True(File.Exists(Path.Combine(headers!, "linux", "iommufd.h")), $"{headers}/linux/iommufd.h is missing");
        // The unit test class, strict: every name must be declared by these headers with the same value.
        var dir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var dll = Path.Combine(dir.Parent!.Parent!.FullName, "Vfio.Tests", dir.Name, "Vfio.Tests.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution first");
        var dotnet = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        var (code, output) = Guest.Run("env", $"VFIOCTL_UAPI_HEADERS={headers}", dotnet, dll, "-class", "Vfio.Tests.Userspace.KernelStructLayoutTests", "-noColor");
        Assert.True(code == 0, output);
        Assert.Contains("Total: 2, Errors: 0, Failed: 0, Skipped: 0", output);
    }
}
