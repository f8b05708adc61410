using Vfio.Host.Names;

namespace Vfio.Tests.Host;

public sealed class PciIdsTests : IDisposable
{
    private readonly string _file = Path.GetTempFileName();

    public void Dispose() => File.Delete(_file);

    private const string Sample = """
        # comment
        8086  Intel Corporation
        	10d3  82574L Gigabit Network Connection
        		8086 0001  subsystem line that must not become a device
        	2922  82801IR/IO/IH (ICH9R/DO/DH) 6 port SATA Controller [AHCI mode]
        1af4  Red Hat, Inc.
        	1041  Virtio 1.0 network device
        C 01  Mass storage controller
        	06  SATA controller
        		01  AHCI 1.0
        C 02  Network controller
        	00  Ethernet controller
        """;

    [Fact]
    public void Keeps_names_of_the_ids_asked_for_and_class_names()
    {
        File.WriteAllText(_file, Sample.Replace("\r", ""));
        var ids = PciIds.Load([(0x8086, 0x10d3), (0x1af4, 0x1041)], _file);
        Assert.Equal("Intel Corporation", ids.VendorName(0x8086));
        Assert.Equal("82574L Gigabit Network Connection", ids.DeviceName(0x8086, 0x10d3));
        Assert.Null(ids.DeviceName(0x8086, 0x2922)); // not asked for
        Assert.Null(ids.DeviceName(0x8086, 0x0001)); // a subsystem line
        Assert.Equal("Virtio 1.0 network device", ids.DeviceName(0x1af4, 0x1041));
        Assert.Equal("SATA controller", ids.ClassName(new PciClass(0x010601)));
        Assert.Equal("Network controller", ids.ClassName(new PciClass(0x028000)));
        Assert.Null(ids.VendorName(0x10de));
    }

    [Fact]
    public void A_missing_database_gives_numeric_only_names()
    {
        var ids = PciIds.Load([(0x8086, 0x10d3)], "/nonexistent/pci.ids");
        Assert.Null(ids.Source);
        Assert.Null(ids.VendorName(0x8086));
    }
}
