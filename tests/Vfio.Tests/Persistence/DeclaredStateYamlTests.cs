using Vfio.Host.Model;
using Vfio.Host.Reading;
using Vfio.Policy.Assignment;
using Vfio.Policy.Persistence;
using Vfio.Policy.Sriov;

namespace Vfio.Tests.Persistence;

/// <summary>The declared-state file's format: what vfioctl writes reads back the same, a file cut short anywhere is refused, and the DSN is found in config space.</summary>
public sealed class DeclaredStateYamlTests
{
    private static readonly DeclaredState Full = new()
    {
        Devices =
        [
            new DeclaredDevice
            {
                Address = PciAddress.Parse("0000:03:02.0"),
                Driver = DriverRequest.Parse("vfio-pci")!,
                Fence = [PciAddress.Parse("0000:03:01.0")],
                Force = true,
                Identity = new DeviceIdentity { VendorId = 0x1234, DeviceId = 0x11e8, SubsystemVendorId = 0x1af4, SubsystemDeviceId = 0x1100, Serial = "00-1b-21-ff-ff-12-34-56" },
            },
            new DeclaredDevice
            {
                Address = PciAddress.Parse("0000:01:00.3"),
                Identity = new DeviceIdentity
                {
                    VendorId = 0x1b36, DeviceId = 0x0010, VfIndex = 2, PfAddress = PciAddress.Parse("0000:01:00.0"),
                    Pf = new DeviceIdentity { VendorId = 0x1b36, DeviceId = 0x0010, Serial = "aa-bb-cc-dd-ee-ff-00-11" },
                },
            },
        ],
        Sriov =
        [
            new DeclaredPf
            {
                Pf = PciAddress.Parse("0000:01:00.0"), NumVfs = 4, Autoprobe = false, PfToVfioPci = true, VfDriver = VfBinding.VfioPci,
                VfToken = DeclaredToken.None, Identity = new DeviceIdentity { VendorId = 0x1b36, DeviceId = 0x0010 },
            },
        ],
    };

    private static DeclaredState WithoutLines(DeclaredState s) => s with
    {
        Devices = [.. s.Devices.Select(d => d with { Line = 0 })],
        Sriov = [.. s.Sriov.Select(p => p with { Line = 0 })],
    };

    [Fact]
    public void What_vfioctl_writes_reads_back_as_the_same_state_with_each_entry_s_line()
    {
        var text = DeclaredStateYaml.Format(Full);
        var back = DeclaredStateYaml.Parse(text, "f.yaml");
        var expected = WithoutLines(Full);
        var got = WithoutLines(back);
        Assert.Equal(expected.Devices.OrderBy(d => d.Address), got.Devices, new RecordEquality<DeclaredDevice>());
        Assert.Equal(expected.Sriov, got.Sriov, new RecordEquality<DeclaredPf>());
        var lines = text.Split('\n');
        Assert.All(back.Devices, d => Assert.StartsWith($"  - address: \"{d.Address}\"", lines[d.Line - 1]));
        Assert.All(back.Sriov, p => Assert.StartsWith($"  - pf: \"{p.Pf}\"", lines[p.Line - 1]));
        Assert.Equal(text, DeclaredStateYaml.Format(back));
    }

    [Fact]
    public void A_file_cut_short_at_any_byte_is_refused_with_a_line_never_read_as_less()
    {
        var text = DeclaredStateYaml.Format(Full);
        // Everything but the final newline: every cut must lose data and be refused.
        for (int cut = 0; cut < text.Length - 1; cut++)
        {
            var e = Assert.Throws<DeclaredStateFormatException>(() => DeclaredStateYaml.Parse(text[..cut], "f.yaml"));
            Assert.InRange(e.Line, 1, text[..cut].Count(c => c == '\n') + 1);
        }
    }

    [Fact]
    public void A_duplicate_key_in_an_entry_is_refused()
    {
        var e = Assert.Throws<DeclaredStateFormatException>(() =>
            DeclaredStateYaml.Parse("devices:\n  - address: \"0000:01:00.0\"\n    address: \"0000:02:00.0\"\nversion: 1\n", "f.yaml"));
        Assert.Equal(3, e.Line);
        Assert.StartsWith("f.yaml:3: not valid YAML", e.Message);
    }

    [Fact]
    public void Identity_mismatch_names_what_differs()
    {
        var declared = Full.Devices[0].Identity!;
        Assert.Null(declared.Mismatch(declared));
        Assert.Equal("declared 1234:11e8, found 1234:11e9", declared.Mismatch(declared with { DeviceId = 0x11e9 }));
        Assert.Equal("declared serial 00-1b-21-ff-ff-12-34-56, found a device without a readable serial", declared.Mismatch(declared with { Serial = null }));
        var vf = Full.Devices[1].Identity!;
        Assert.Equal("declared VF 2 of its PF, found VF 3", vf.Mismatch(vf with { VfIndex = 3 }));
        Assert.Equal("its PF: declared serial aa-bb-cc-dd-ee-ff-00-11, found 00-00-00-00-00-00-00-01", vf.Mismatch(vf with { Pf = vf.Pf! with { Serial = "00-00-00-00-00-00-00-01" } }));
    }

    [Fact]
    public void The_device_serial_number_is_found_by_walking_the_extended_capabilities()
    {
        var config = new byte[4096];
        // AER (id 1) at 0x100 pointing to 0x140; DSN (id 3, version 1) at 0x140, last.
        BitConverter.TryWriteBytes(config.AsSpan(0x100), 0x0001u | (1u << 16) | (0x140u << 20));
        BitConverter.TryWriteBytes(config.AsSpan(0x140), 0x0003u | (1u << 16));
        BitConverter.TryWriteBytes(config.AsSpan(0x144), 0xff123456u);
        BitConverter.TryWriteBytes(config.AsSpan(0x148), 0x001b21ffu);
        Assert.Equal("00-1b-21-ff-ff-12-34-56", DeviceIdentityReader.FindSerial(config));
        // Only 256 bytes readable (not root), no extended capabilities, or a loop: no serial.
        Assert.Null(DeviceIdentityReader.FindSerial(config.AsSpan(0, 256)));
        Assert.Null(DeviceIdentityReader.FindSerial(new byte[4096]));
        var loop = new byte[4096];
        BitConverter.TryWriteBytes(loop.AsSpan(0x100), 0x0001u | (0x100u << 20));
        Assert.Null(DeviceIdentityReader.FindSerial(loop));
    }

    /// <summary>Records with ImmutableArray members compare them by content.</summary>
    private sealed class RecordEquality<T> : IEqualityComparer<T>
    {
        public bool Equals(T? x, T? y) => x switch
        {
            DeclaredDevice a when y is DeclaredDevice b => a with { Fence = [] } == b with { Fence = [] } && a.Fence.SequenceEqual(b.Fence),
            _ => Equals((object?)x, y),
        };

        public int GetHashCode(T obj) => 0;
    }
}
