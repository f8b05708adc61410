using Vfio.Host.Reading;
using Vfio.Host.Sysfs;
using Vfio.Policy.Drivers;
using Vfio.Tests.Support;

namespace Vfio.Tests.Policy;

/// <summary>Choosing the vfio-pci driver from a real Debian modules.alias (captured with the lab fixtures).</summary>
public class ModuleAliasesTests
{
    private static (string Alias, string EduModalias, string NvmeModalias) RealAliases()
    {
        using var tree = Fixtures.Open("lab-basic-6.12");
        var files = new HostFiles(tree.Directory);
        var release = files.ReadAttribute("/proc/sys/kernel/osrelease")!;
        var alias = files.ReadAllText($"/lib/modules/{release}/modules.alias")!;
        var host = HostReader.Read(files);
        return (alias, host.FindDevice(PciAddress.Parse("00:02.0"))!.Modalias!, host.FindDevice(PciAddress.Parse("01:00.0"))!.Modalias!);
    }

    [Fact]
    public void Debian_6_12_has_only_the_generic_vfio_pci_alias_so_it_is_chosen()
    {
        var (alias, edu, _) = RealAliases();
        var aliases = ModuleAliases.Parse(alias);
        Assert.Empty(aliases.Problems);
        var only = Assert.Single(aliases.Vfio);
        Assert.Equal("vfio_pci", only.Module);
        var choice = aliases.ChooseVfioDriver(edu);
        Assert.True(choice.IsGeneric);
        Assert.Contains("generic vfio-pci", choice.Reason);
    }

    [Fact]
    public void A_variant_alias_for_the_device_wins_over_the_generic_one()
    {
        var (alias, edu, nvme) = RealAliases();
        // The shape file2alias writes for PCI_DRIVER_OVERRIDE_DEVICE_VFIO (kernel-facts section 3).
        alias += "alias vfio_pci:v00001234d000011E8sv*sd*bc*sc*i* edu_vfio_pci\n"
               + "alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_vfio_pci\n";
        var aliases = ModuleAliases.Parse(alias);
        var choice = aliases.ChooseVfioDriver(edu);
        Assert.Equal("edu_vfio_pci", choice.Module);
        Assert.Equal(5, choice.Wildcards);
        Assert.Contains("variant driver edu_vfio_pci", choice.Reason);
        Assert.True(aliases.ChooseVfioDriver(nvme).IsGeneric);
        Assert.Equal("mlx5_vfio_pci", aliases.ChooseVfioDriver("pci:v000015B3d0000101Esv000015B3sd00000042bc02sc00i00").Module);
    }

    [Fact]
    public void The_most_specific_of_several_matching_variants_wins()
    {
        var aliases = ModuleAliases.Parse("""
            alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci
            alias vfio_pci:v000010DEd*sv*sd*bc*sc*i* broad_vfio_pci
            alias vfio_pci:v000010DEd00002342sv*sd*bc*sc*i* exact_vfio_pci
            """);
        Assert.Equal("exact_vfio_pci", aliases.ChooseVfioDriver("pci:v000010DEd00002342sv000010DEsd00001809bc03sc02i00").Module);
        Assert.Equal("broad_vfio_pci", aliases.ChooseVfioDriver("pci:v000010DEd00002335sv000010DEsd00001809bc03sc02i00").Module);
    }

    [Fact]
    public void The_normal_kernel_driver_is_found_from_the_pci_aliases()
    {
        var (alias, edu, nvme) = RealAliases();
        var aliases = ModuleAliases.Parse(alias);
        Assert.Contains("nvme", aliases.KernelDriversFor(nvme));
        Assert.Empty(aliases.KernelDriversFor(edu));
    }

    [Fact]
    public void A_malformed_modules_alias_reports_its_bad_lines_and_still_falls_back()
    {
        var aliases = ModuleAliases.Parse("""
            alias vfio_pci:v00001234d000011E8sv*sd*bc*sc*i*
            this is not an alias line
            alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci
            """);
        Assert.Equal(2, aliases.Problems.Length);
        Assert.Contains("line 1", aliases.Problems[0]);
        Assert.True(aliases.ChooseVfioDriver("pci:v00001234d000011E8sv00001AF4sd00001100bc00scFFi00").IsGeneric);
        Assert.True(ModuleAliases.Empty.ChooseVfioDriver("pci:v00001234d000011E8sv00001AF4sd00001100bc00scFFi00").IsGeneric);
        Assert.True(ModuleAliases.Empty.ChooseVfioDriver(null).IsGeneric);
    }

    [Fact]
    public void Indented_tab_separated_and_CRLF_lines_are_read_like_plain_ones()
    {
        var aliases = ModuleAliases.Parse(
            "# comment\r\n" +
            "   alias\tvfio_pci:v00001234d000011E8sv*sd*bc*sc*i*\tedu_vfio_pci\r\n" +
            "alias usb:v1D6Bp0002d*dc*dsc*dp*ic*isc*ip*in* ignored\r\n" +
            "\talias  pci:v00001B36d00000010sv*sd*bc*sc*i*   nvme\r\n" +
            "alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci");
        Assert.Empty(aliases.Problems);
        Assert.Equal(["edu_vfio_pci", "vfio_pci"], aliases.Vfio.Select(a => a.Module));
        Assert.Equal(2, aliases.Vfio[0].Line);
        var pci = Assert.Single(aliases.Pci);
        Assert.Equal(("pci:v00001B36d00000010sv*sd*bc*sc*i*", "nvme", 4), (pci.Pattern, pci.Module, pci.Line));
        Assert.Equal("edu_vfio_pci", aliases.ChooseVfioDriver("pci:v00001234d000011E8sv00001AF4sd00001100bc00scFFi00").Module);
    }
}
