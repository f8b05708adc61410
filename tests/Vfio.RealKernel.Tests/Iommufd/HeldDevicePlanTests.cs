using System.Diagnostics;

namespace Vfio.RealKernel.Tests.Iommufd;

/// <summary>
/// plan, bind, restore and unbind name the process holding a device on vfio-pci (and doctor names it), whether it holds the VFIO device
/// cdev (the iommufd path, no group node open) or the group node, and refuse to move the device
/// (exit 3, not overridable) with "stop the VMM/program (pid N) first". The lab's 7.3 kernel has
/// the cdev; the group-node half would run anywhere but is kept beside it.
/// </summary>
[Trait("topology", "virtio")]
public class HeldDevicePlanTests
{
    private static readonly PciAddress Edu = PciAddress.Parse("0000:00:02.0");
    private const string State = "/tmp/vfioctl-held-plan-state";

    private static (int Code, string Out) Cli(params string[] args) => InstalledVfioctl.Run(args);

    /// <summary>A process that opens <paramref name="node"/> on fd 3 and then sleeps (its command is "sleep").</summary>
    private static Process Hold(string node)
    {
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"exec 3<>{node} && echo ready && exec sleep 600");
        var p = Process.Start(psi)!;
        Assert.Equal("ready", p.StandardOutput.ReadLine());
        return p;
    }

    private static void AssertRefusedNaming(Process holder, params string[] command)
    {
        var (code, output) = Cli(command);
        Assert.True(code == 3, $"vfioctl {string.Join(' ', command)} exited {code}: {output}");
        Assert.Contains($"pid {holder.Id} (sleep)", output);
        Assert.Contains($"stop the VMM/program (pid {holder.Id}) first", output);
    }

    [Fact]
    public void A_device_on_vfio_pci_held_through_its_cdev_or_its_group_is_not_moved_and_the_holder_is_named()
    {
        Guest.Require("virtio");
        Assert.SkipUnless(Guest.Kernel == "7.3", "the VFIO device cdev exists only in the lab's 7.3 kernel");
        var (code, output) = Cli("bind", Edu.ToString(), "--state-dir", State);
        Assert.True(code == 0, output);
        try
        {
            var vfioDev = Assert.Single(Directory.GetDirectories($"/sys/bus/pci/devices/{Edu}/vfio-dev").Select(Path.GetFileName));
            using (var holder = Hold($"/dev/vfio/devices/{vfioDev}"))
            {
                try
                {
                    AssertRefusedNaming(holder, "plan", Edu.ToString(), "--driver", "pci-stub");
                    AssertRefusedNaming(holder, "plan", Edu.ToString(), "--driver", "pci-stub", "--force");
                    AssertRefusedNaming(holder, "bind", Edu.ToString(), "--driver", "pci-stub", "--state-dir", State);
                    // restore and unbind too: the kernel's unbind would wait for the cdev to be closed.
                    AssertRefusedNaming(holder, "restore", Edu.ToString(), "--state-dir", State);
                    AssertRefusedNaming(holder, "unbind", Edu.ToString(), "--state-dir", State);
                    Assert.Equal("vfio-pci", Guest.DriverOf(Edu));
                    var (doctorCode, doctor) = Cli("doctor", "--state-dir", State);
                    Assert.True(doctorCode == 0, doctor);
                    Assert.Contains($"In use through VFIO by pid {holder.Id} (sleep)", doctor);
                }
                finally { holder.Kill(); holder.WaitForExit(); }
            }

            var group = int.Parse(Path.GetFileName(new FileInfo($"/sys/bus/pci/devices/{Edu}/iommu_group").LinkTarget!), System.Globalization.CultureInfo.InvariantCulture);
            using (var holder = Hold($"/dev/vfio/{group}"))
            {
                try
                {
                    AssertRefusedNaming(holder, "plan", Edu.ToString(), "--driver", "pci-stub");
                    AssertRefusedNaming(holder, "bind", Edu.ToString(), "--driver", "pci-stub", "--state-dir", State);
                }
                finally { holder.Kill(); holder.WaitForExit(); }
            }

            // Nobody holds it now: the same plan can be carried out.
            (code, output) = Cli("plan", Edu.ToString(), "--driver", "pci-stub");
            Assert.True(code == 0, output);
        }
        finally
        {
            Cli("restore", Edu.ToString(), "--state-dir", State);
        }
    }
}
