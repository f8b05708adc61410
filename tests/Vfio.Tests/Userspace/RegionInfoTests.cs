using System.Runtime.InteropServices;
using Vfio.Userspace;
using Vfio.Userspace.Interop;

namespace Vfio.Tests.Userspace;

/// <summary>Decoding of VFIO_DEVICE_GET_REGION_INFO buffers as the kernel lays them out (vfio_info_add_capability).</summary>
public sealed class RegionInfoTests
{
    // A BAR with an MSI-X table in its middle: vfio-pci gives two sparse areas around it, then (on a
    // platform with interrupt remapping) MSIX_MAPPABLE.
    private static byte[] BarWithSparseAreasAndMsixMappable(uint? sparseNext = null)
    {
        var buffer = new byte[32 + 16 + 2 * 16 + 8];
        MemoryMarshal.Write(buffer, new vfio_region_info
        {
            argsz = (uint)buffer.Length,
            flags = VfioIoctl.VFIO_REGION_INFO_FLAG_READ | VfioIoctl.VFIO_REGION_INFO_FLAG_WRITE | VfioIoctl.VFIO_REGION_INFO_FLAG_MMAP | VfioIoctl.VFIO_REGION_INFO_FLAG_CAPS,
            index = 2,
            cap_offset = 32,
            size = 0x4000,
            offset = 0x20000000000,
        });
        MemoryMarshal.Write(buffer.AsSpan(32), new vfio_region_info_cap_sparse_mmap
        {
            header = new vfio_info_cap_header { id = 1, version = 1, next = sparseNext ?? 32 + 16 + 32 },
            nr_areas = 2,
        });
        MemoryMarshal.Write(buffer.AsSpan(48), new vfio_region_sparse_mmap_area { offset = 0, size = 0x1000 });
        MemoryMarshal.Write(buffer.AsSpan(64), new vfio_region_sparse_mmap_area { offset = 0x2000, size = 0x2000 });
        MemoryMarshal.Write(buffer.AsSpan(80), new vfio_info_cap_header { id = 3, version = 1, next = 0 });
        return buffer;
    }

    [Fact]
    public void Sparse_areas_and_msix_mappable_are_decoded_in_chain_order()
    {
        var info = VfioDevice.ParseRegionInfo(BarWithSparseAreasAndMsixMappable());
        Assert.Equal(2, info.Index);
        Assert.Equal(0x4000UL, info.Size);
        Assert.Equal(0x20000000000UL, info.Offset);
        Assert.True(info.CanMmap);
        Assert.Equal([new VfioSparseMmapArea(0, 0x1000), new VfioSparseMmapArea(0x2000, 0x2000)], info.SparseMmapAreas);
        Assert.True(info.MsixMappable);
        Assert.Equal([(ushort)1, (ushort)3], info.Capabilities.Select(c => c.Id));
    }

    [Fact]
    public void A_chain_pointing_back_into_itself_stops_instead_of_looping()
    {
        // The sparse capability's next points at itself.
        var info = VfioDevice.ParseRegionInfo(BarWithSparseAreasAndMsixMappable(sparseNext: 32));
        Assert.Single(info.Capabilities);
        Assert.False(info.MsixMappable);
    }

    [Fact]
    public void A_chain_pointing_into_the_fixed_struct_or_past_the_buffer_is_ignored()
    {
        Assert.Single(VfioDevice.ParseRegionInfo(BarWithSparseAreasAndMsixMappable(sparseNext: 8)).Capabilities);
        Assert.Single(VfioDevice.ParseRegionInfo(BarWithSparseAreasAndMsixMappable(sparseNext: 4000)).Capabilities);
    }

    [Fact]
    public void A_region_without_caps_has_none_and_no_sparse_restriction()
    {
        var buffer = new byte[32];
        MemoryMarshal.Write(buffer, new vfio_region_info { argsz = 32, flags = 7, index = 0, size = 1 << 20 });
        var info = VfioDevice.ParseRegionInfo(buffer);
        Assert.Empty(info.Capabilities);
        Assert.Null(info.SparseMmapAreas);
        Assert.Equal(VfioRegionFlags.Read | VfioRegionFlags.Write | VfioRegionFlags.Mmap, info.Flags);
    }

    [Fact]
    public void Unknown_capabilities_keep_their_body()
    {
        var buffer = new byte[32 + 12];
        MemoryMarshal.Write(buffer, new vfio_region_info { argsz = 44, flags = VfioIoctl.VFIO_REGION_INFO_FLAG_CAPS, index = 9, cap_offset = 32 });
        MemoryMarshal.Write(buffer.AsSpan(32), new vfio_info_cap_header { id = 42, version = 7 });
        buffer[40] = 0xab;
        var cap = Assert.IsType<VfioUnknownRegionCapability>(Assert.Single(VfioDevice.ParseRegionInfo(buffer).Capabilities));
        Assert.Equal((ushort)42, cap.Id);
        Assert.Equal((ushort)7, cap.Version);
        Assert.Equal(0xab, cap.Body.Span[0]);
    }
}
