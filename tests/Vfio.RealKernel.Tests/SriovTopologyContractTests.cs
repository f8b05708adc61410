namespace Vfio.RealKernel.Tests;

/// <summary>SR-IOV links in the model against the kernel, with VFs created under the nvme PF driver.</summary>
[Trait("topology", "sriov")]
public class SriovTopologyContractTests
{
    [Fact]
    public void Pfs_and_their_vfs_are_linked_both_ways_and_each_vf_has_its_own_group()
    {
        Guest.Require("sriov");
        var host = Guest.ReadHost();
        var pfs = host.Devices.Where(d => d.Sriov is not null).ToList();
        Assert.NotEmpty(pfs);
        var pf = pfs[0];
        Assert.Equal(64, pf.Sriov!.TotalVfs);
        Assert.Equal(0, pf.Sriov.NumVfs);
        var numvfs = $"/sys/bus/pci/devices/{pf.Address}/sriov_numvfs";
        Guest.WriteSysfs(numvfs, "4");
        try
        {
            host = Guest.ReadHost();
            pf = host.FindDevice(pf.Address)!;
            Assert.Equal(4, pf.Sriov!.NumVfs);
            Assert.Equal(4, pf.Sriov.VirtualFunctions.Length);
            var groups = new HashSet<int>();
            foreach (var vfAddress in pf.Sriov.VirtualFunctions)
            {
                var vf = host.FindDevice(vfAddress)!;
                Assert.Equal(pf.Address, vf.PhysFn);
                Assert.True(vf.IsVirtualFunction);
                Assert.Equal(pf.Sriov.VfDeviceId, vf.DeviceId);
                Assert.Equal(pf.VendorId, vf.VendorId);
                Assert.True(groups.Add(vf.IommuGroup!.Value), $"VF {vfAddress} shares group {vf.IommuGroup}");
                Assert.Equal([vfAddress], host.GroupOf(vf)!.Devices);
            }
            // The kernel's own numbering: virtfnN = PF routing id + offset + N * stride.
            int rid = pf.Address.Bus << 8 | pf.Address.Device << 3 | pf.Address.Function;
            for (int i = 0; i < 4; i++)
            {
                int vfRid = rid + pf.Sriov.Offset!.Value + i * pf.Sriov.Stride!.Value;
                var vf = pf.Sriov.VirtualFunctions[i];
                Assert.Equal(vfRid, vf.Bus << 8 | vf.Device << 3 | vf.Function);
            }
        }
        finally
        {
            Guest.WriteSysfs(numvfs, "0");
        }
        Assert.Empty(Guest.ReadHost().Devices.Where(d => d.PhysFn == pf.Address));
    }
}
