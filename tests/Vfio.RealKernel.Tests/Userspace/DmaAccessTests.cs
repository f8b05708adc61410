using Vfio.Userspace;

namespace Vfio.RealKernel.Tests.Userspace;

/// <summary>
/// DMA buffers the device may only read (<see cref="DmaAccess.DeviceRead"/>) hold what the CPU wrote
/// into them after allocation. Regression: on 6.1 a read-only mapping of untouched anonymous memory
/// pinned the shared zero page, so the device read zeros (found by samples/Nvme writing zeros to disk).
/// </summary>
[Trait("topology", "basic")]
public sealed class DmaAccessTests
{
    [Theory, MemberData(nameof(Backends.ForThisKernel), MemberType = typeof(Backends))]
    public async Task A_device_read_only_buffer_filled_after_allocation_reaches_the_device_with_its_bytes(VfioBackend backend)
    {
        Guest.Require("basic");
        using var edu = EduDma.Open(backend);
        var (session, bar, irq) = (edu.Session, edu.Bar, edu.Irq);
        // Nothing touches the source before it is mapped: the CPU writes it only afterwards.
        using var source = session.Dma.AllocateDma(Edu.Transfer, Edu.DmaMask, DmaAccess.DeviceRead);
        using var back = session.Dma.AllocateDma(Edu.Transfer, Edu.DmaMask, DmaAccess.DeviceWrite);
        var bytes = new byte[Edu.Transfer];
        new Random(7).NextBytes(bytes);
        bytes.CopyTo(source.Span);
        back.Span.Clear();

        Assert.True(await Edu.DmaAsync(bar, irq, source.Iova, Edu.DeviceBuffer, Edu.Transfer, toRam: false), "RAM to device DMA did not finish");
        Assert.True(await Edu.DmaAsync(bar, irq, Edu.DeviceBuffer, back.Iova, Edu.Transfer, toRam: true), "device to RAM DMA did not finish");
        Assert.True(back.Span[..Edu.Transfer].SequenceEqual(bytes),
            $"the device read {back.Span[..Edu.Transfer].Count((byte)0)} zero bytes of {Edu.Transfer}: it did not see what the CPU wrote");
    }
}
