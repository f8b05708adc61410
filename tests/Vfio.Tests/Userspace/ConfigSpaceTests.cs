using Vfio.Tests.Support;
using Vfio.Userspace;

namespace Vfio.Tests.Userspace;

/// <summary>The capability walk over real configuration space captured in lab guests (tests/fixtures/config/README.md).</summary>
public sealed class ConfigSpaceTests
{
    private static ConfigSpace Load(string name) => ConfigSpace.FromBytes(File.ReadAllBytes(Path.Combine(Fixtures.Directory, "config", name + ".bin")));

    private static string Standard(ConfigSpace c) => string.Join(" ", c.Capabilities.Select(x => $"{x.Id}@{x.Offset:x2}"));

    private static string Extended(ConfigSpace c) => string.Join(" ", c.ExtendedCapabilities.Select(x => $"{x.Id}v{x.Version}@{x.Offset:x3}"));

    [Fact]
    public void Edu_header_fields_read_as_lspci_shows_them()
    {
        var c = Load("edu");
        Assert.Equal(0x1234, c.VendorId);
        Assert.Equal(0x11e8, c.DeviceId);
        Assert.Equal(0x00ff00u, c.ClassCode);
        Assert.Equal(0, c.HeaderType);
        Assert.Equal(1, c.InterruptPin);
        Assert.Equal(256, c.Length);
    }

    [Theory]
    // Expected lists are lspci's decoding of the same bytes (lspci -F DUMP -vv), in chain order.
    [InlineData("edu", "Msi@40", "")]
    [InlineData("e1000", "", "")]
    [InlineData("ich9-ahci", "Msi@80 SataConfig@a8", "")]
    [InlineData("nvme", "MsiX@40 PciExpress@80 PowerManagement@60", "")]
    [InlineData("e1000e", "PowerManagement@c8 Msi@d0 PciExpress@e0 MsiX@a0", "Aerv2@100 SerialNumberv1@140")]
    [InlineData("pcie-root-port", "PciExpress@54 MsiX@48 BridgeSubsystemId@40", "Aerv2@100 Acsv1@148")]
    [InlineData("pcie-pci-bridge", "Msi@8c PowerManagement@84 PciExpress@48 HotPlug@40", "Aerv2@100")]
    public void Capability_lists_of_real_devices_match_lspci(string device, string standard, string extended)
    {
        var c = Load(device);
        Assert.Equal(standard, Standard(c));
        Assert.Equal(extended, Extended(c));
        Assert.Null(c.Capabilities.Problem);
        Assert.Null(c.ExtendedCapabilities.Problem);
    }

    [Fact]
    public void FindCapability_locates_msi_on_edu_and_nothing_on_e1000()
    {
        Assert.Equal(0x40, Load("edu").FindCapability(PciCapabilityId.Msi)?.Offset);
        Assert.Null(Load("e1000").FindCapability(PciCapabilityId.Msi));
        Assert.Equal(0x148, Load("pcie-root-port").FindExtendedCapability(PciExtendedCapabilityId.Acs)?.Offset);
    }

    [Fact]
    public void A_capability_pointing_to_itself_ends_the_walk_with_a_loop_problem()
    {
        var c = Load("edu-self-loop");
        Assert.Equal("Msi@40", Standard(c));
        Assert.Contains("loop", c.Capabilities.Problem);
    }

    [Fact]
    public void A_loop_of_two_keeps_every_capability_once()
    {
        var c = Load("nvme-loop");
        Assert.Equal("MsiX@40 PciExpress@80 PowerManagement@60", Standard(c));
        Assert.Contains("points back to 0x80", c.Capabilities.Problem);
    }

    [Fact]
    public void A_pointer_into_the_header_is_reported_not_followed()
    {
        var c = Load("e1000e-pointer-into-header");
        Assert.Empty(c.Capabilities);
        Assert.Contains("0x10, outside the capability area", c.Capabilities.Problem);
        // The extended list is separate and still intact.
        Assert.Equal("Aerv2@100 SerialNumberv1@140", Extended(c));
    }

    [Fact]
    public void An_extended_chain_that_loops_back_is_cut()
    {
        var c = Load("pcie-root-port-ext-loop");
        Assert.Equal("Aerv2@100 Acsv1@148", Extended(c));
        Assert.Contains("loop", c.ExtendedCapabilities.Problem);
    }

    [Fact]
    public void An_extended_pointer_below_0x100_is_reported()
    {
        var c = Load("pcie-root-port-ext-out-of-range");
        Assert.Equal("Aerv2@100", Extended(c));
        Assert.Contains("0x0c0", c.ExtendedCapabilities.Problem);
    }

    [Fact]
    public void A_device_reading_all_ones_gives_no_capabilities_and_no_hang()
    {
        var bytes = Enumerable.Repeat((byte)0xff, 4096).ToArray();
        var c = ConfigSpace.FromBytes(bytes);
        Assert.Empty(c.ExtendedCapabilities);
        Assert.NotNull(c.Capabilities.Problem); // 0xff pointer: outside the area
    }

    [Fact]
    public void EnableBusMaster_sets_only_the_bus_master_bit()
    {
        var bytes = File.ReadAllBytes(Path.Combine(Fixtures.Directory, "config", "edu.bin"));
        var c = ConfigSpace.FromBytes(bytes);
        var before = c.Command;
        c.EnableBusMaster();
        Assert.Equal(before | PciCommand.BusMaster, c.Command);
        Assert.Equal((byte)(((ushort)before | 4) & 0xff), bytes[4]);
    }

    [Fact]
    public void Accesses_outside_or_misaligned_are_refused()
    {
        var c = Load("edu");
        Assert.Throws<ArgumentOutOfRangeException>(() => c.Read32(0xfd));
        Assert.Throws<ArgumentOutOfRangeException>(() => c.Read8(256));
        Assert.Throws<ArgumentOutOfRangeException>(() => c.Read8(-1));
        Assert.Throws<ArgumentException>(() => c.Read16(0x41));
        Assert.Equal(0x00ff, c.Read16(0x0a));
    }
}
