using Vfio.Tests.Support;

namespace Vfio.Tests.Policy;

/// <summary>
/// <c>--noiommu</c> planned over captures: the basic topology booted without an IOMMU (6.12,
/// lab run --no-iommu) and with one. The real-kernel proof is NoIommuTests on 7.3.
/// </summary>
public sealed class NoIommuPlanTests
{
    private static string NoIommu => Fixtures.Archive("lab-basic-no-iommu-6.12");

    [Fact]
    public void Without_an_iommu_a_plain_plan_is_refused_and_names_noiommu_as_the_unsafe_way()
    {
        var r = CliRun.Run("--root", NoIommu, "plan", "0000:00:02.0");
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("no IOMMU groups", r.Out + r.Err);
        Assert.Contains("--noiommu asks for it", r.Out + r.Err);
    }

    [Fact]
    public void With_noiommu_each_device_goes_to_vfio_pci_alone_after_the_mode_is_turned_on_with_the_warning()
    {
        var r = CliRun.Run("--root", NoIommu, "plan", "0000:00:02.0", "--noiommu");
        Assert.True(r.ExitCode == 0, r.Out + r.Err);
        Assert.Contains("WARNING: no-IOMMU mode", r.Out);
        Assert.Contains("vfio-pci", r.Out);

        var json = CliRun.Run("--root", NoIommu, "--json", "plan", "0000:00:02.0", "--noiommu").Json().RootElement;
        Assert.True(json.GetProperty("canApply").GetBoolean());
        Assert.True(json.GetProperty("noIommuMode").GetBoolean());
        var step = Assert.Single(json.GetProperty("steps").EnumerateArray());
        Assert.Equal("vfio-pci", step.GetProperty("to").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, step.GetProperty("group").ValueKind);
        Assert.Contains(json.GetProperty("modules").EnumerateArray(), m => m.GetProperty("module").GetString() == "vfio"
            && m.GetProperty("parameters").EnumerateArray().Any(p => p.GetString() == "enable_unsafe_noiommu_mode=1"));
    }

    [Fact]
    public void Noiommu_on_a_host_with_an_iommu_is_refused_and_so_are_fences_and_other_drivers()
    {
        var withIommu = CliRun.Run("--root", Fixtures.Archive("lab-basic-6.12"), "plan", "0000:00:02.0", "--noiommu");
        Assert.Equal(3, withIommu.ExitCode);
        Assert.Contains("This host has an IOMMU: --noiommu is only for hosts without one", withIommu.Out + withIommu.Err);

        var fenced = CliRun.Run("--root", NoIommu, "plan", "0000:00:02.0", "--noiommu", "--fence", "0000:03:01.0");
        Assert.Equal(3, fenced.ExitCode);
        Assert.Contains("--fence has no meaning with --noiommu", fenced.Out + fenced.Err);

        var stub = CliRun.Run("--root", NoIommu, "plan", "0000:00:02.0", "--noiommu", "--driver", "pci-stub");
        Assert.Equal(3, stub.ExitCode);
        Assert.Contains("no-IOMMU mode is vfio-pci's", stub.Out + stub.Err);
    }
}
