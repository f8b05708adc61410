using Vfio.Host.Model;
using Vfio.Host.Reading;
using Vfio.Host.Sysfs;
using Vfio.Policy.Assignment;
using Vfio.Policy.Drivers;
using Vfio.Policy.Viability;
using Vfio.Tests.Support;

namespace Vfio.Tests.Policy;

/// <summary>
/// A virtio device's DMA isolation from its negotiated VIRTIO_F_ACCESS_PLATFORM (bit 33): real
/// when set, not real when clear, unknown when nothing was negotiated; plan refuses the last two
/// (overridable). The lab-basic capture with its e1000e (02:00.0, own group) made a virtio-net.
/// </summary>
public sealed class DmaIsolationTests
{
    private static readonly PciAddress Nic = PciAddress.Parse("0000:02:00.0");

    private static string Bits(bool accessPlatform) => new string('0', 33) + (accessPlatform ? "1" : "0") + new string('0', 30);

    private static HostState WithVirtioNet(VirtioFunction? virtio, string? driver = "virtio-pci")
    {
        using var tree = Fixtures.Open("lab-basic-6.12");
        var host = HostReader.Read(new HostFiles(tree.Directory));
        var nic = host.FindDevice(Nic)! with { VendorId = 0x1af4, DeviceId = 0x1041, Driver = driver, Virtio = virtio };
        return host with { Devices = [.. host.Devices.Select(d => d.Address == Nic ? nic : d)] };
    }

    private static AssignmentPlan Plan(HostState host, bool force = false) =>
        AssignmentPlanner.Plan(host, ModuleAliases.Empty, new AssignmentRequest { Targets = [Nic], Force = force });

    [Fact]
    public void Access_platform_negotiated_is_real_isolation_and_plans_like_any_device()
    {
        var host = WithVirtioNet(new VirtioFunction("virtio2", "virtio_net", Bits(true)));
        var verdict = ViabilityEvaluator.Evaluate(host, host.GroupOf(host.FindDevice(Nic)!)!);
        Assert.Equal(Isolation.Real, verdict.Isolation);
        Assert.Empty(verdict.IsolationReasons);
        Assert.DoesNotContain(Plan(host).Refusals, r => r.Reason.Contains("ACCESS_PLATFORM", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_access_platform_isolation_is_not_real_and_plan_refuses_unless_forced()
    {
        var host = WithVirtioNet(new VirtioFunction("virtio2", "virtio_net", Bits(false)));
        var verdict = ViabilityEvaluator.Evaluate(host, host.GroupOf(host.FindDevice(Nic)!)!);
        Assert.Equal(Isolation.NotReal, verdict.Isolation);
        Assert.Contains("did not negotiate VIRTIO_F_ACCESS_PLATFORM", Assert.Single(verdict.IsolationReasons));
        var refusal = Assert.Single(Plan(host).Refusals, r => r.Reason.Contains("iommu_platform=on", StringComparison.Ordinal));
        Assert.True(refusal.Overridable);
        Assert.False(Plan(host).CanApply);
        Assert.True(Plan(host, force: true).CanApply);
    }

    [Fact]
    public void Features_nobody_negotiated_are_unknown_never_safe()
    {
        // The virtio device exists but no virtio driver is bound: the features file reads all zeros.
        var host = WithVirtioNet(new VirtioFunction("virtio2", null, new string('0', 64)));
        var verdict = ViabilityEvaluator.Evaluate(host, host.GroupOf(host.FindDevice(Nic)!)!);
        Assert.Equal(Isolation.Unknown, verdict.Isolation);
        Assert.Contains("is unknown", Assert.Single(verdict.IsolationReasons));
        Assert.False(Plan(host).CanApply);

        // A virtio function that is not on virtio-pci at all (no driver): unknown as well.
        var unbound = WithVirtioNet(null, driver: null);
        Assert.Equal(Isolation.Unknown, ViabilityEvaluator.Evaluate(unbound, unbound.GroupOf(unbound.FindDevice(Nic)!)!).Isolation);
    }
}
