using Vfio.Tests.Support;

namespace Vfio.Tests.Cli;

/// <summary>The read commands' contract: exit codes, JSON schema, bad input.</summary>
public class ReadCommandsTests
{
    private static readonly string NoIommu = Fixtures.Archive("no-iommu-firecracker-6.18");

    [Theory]
    [InlineData("show", "0000:00:1f")]
    [InlineData("show", "1:2:3")]
    [InlineData("show", "0000:00:20.0")]
    public void Malformed_addresses_are_usage_errors_naming_the_form(string cmd, string address)
    {
        var r = CliRun.Run("--root", NoIommu, cmd, address);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("DDDD:BB:DD.F", r.Err);
    }

    [Fact]
    public void A_missing_device_is_an_error_naming_it()
    {
        var r = CliRun.Run("--root", NoIommu, "show", "0000:00:1f.2");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("0000:00:1f.2", r.Err);
    }

    [Fact]
    public void A_bad_root_is_a_usage_error()
    {
        var r = CliRun.Run("--root", "/nonexistent/root", "list");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("/nonexistent/root", r.Err);
    }

    [Fact]
    public void Unknown_commands_are_usage_errors()
    {
        Assert.Equal(2, CliRun.Run("frobnicate").ExitCode);
        Assert.Equal(2, CliRun.Run("list", "--class", "zz").ExitCode);
        Assert.Equal(2, CliRun.Run("--root", NoIommu, "list", "--id", "8086").ExitCode);
    }

    [Fact]
    public void List_json_has_the_documented_fields_with_lower_case_hex()
    {
        using var doc = CliRun.Run("--root", NoIommu, "list", "--json").Json();
        var devices = doc.RootElement.GetProperty("devices").EnumerateArray().ToList();
        Assert.Equal(6, devices.Count);
        var d = devices.Single(x => x.GetProperty("address").GetString() == "0000:00:03.0");
        Assert.Equal("1af4", d.GetProperty("vendorId").GetString());
        Assert.Equal("1041", d.GetProperty("deviceId").GetString());
        Assert.Equal("1af4", d.GetProperty("subsystemVendorId").GetString());
        Assert.Equal("020000", d.GetProperty("class").GetString());
        Assert.Equal("virtio-pci", d.GetProperty("driver").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, d.GetProperty("driverOverride").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, d.GetProperty("iommuGroup").ValueKind);
        Assert.True(d.TryGetProperty("vendorName", out _));
        Assert.True(d.TryGetProperty("deviceName", out _));
    }

    [Fact]
    public void List_filters_by_class_driver_and_id()
    {
        using var byClass = CliRun.Run("--root", NoIommu, "list", "--json", "--class", "02").Json();
        Assert.Equal(["0000:00:03.0"], Addresses(byClass));
        using var none = CliRun.Run("--root", NoIommu, "list", "--json", "--driver", "none").Json();
        Assert.Equal(["0000:00:00.0"], Addresses(none));
        using var byId = CliRun.Run("--root", NoIommu, "list", "--json", "--id", "1af4:1042").Json();
        Assert.Equal(["0000:00:02.0"], Addresses(byId));
        using var byVendor = CliRun.Run("--root", NoIommu, "list", "--json", "--id", "1af4:").Json();
        Assert.Equal(5, Addresses(byVendor).Length);
    }

    [Fact]
    public void Groups_json_reports_no_iommu_with_a_diagnosis()
    {
        var r = CliRun.Run("--root", NoIommu, "groups", "--json");
        Assert.Equal(0, r.ExitCode);
        using var doc = r.Json();
        var iommu = doc.RootElement.GetProperty("iommu");
        Assert.False(iommu.GetProperty("enabled").GetBoolean());
        Assert.Contains("intel_iommu=on", iommu.GetProperty("diagnosis").GetString());
        Assert.Empty(doc.RootElement.GetProperty("groups").EnumerateArray());
    }

    [Fact]
    public void Show_json_reports_host_use()
    {
        using var doc = CliRun.Run("--root", NoIommu, "show", "00:02.0", "--json").Json();
        var holder = Assert.Single(doc.RootElement.GetProperty("holders").EnumerateArray());
        Assert.Equal("block", holder.GetProperty("kind").GetString());
        Assert.True(holder.GetProperty("inUse").GetBoolean());
    }

    [Fact]
    public void A_snapshot_of_a_snapshot_replays_the_same_host()
    {
        using var tree = Fixtures.Open("no-iommu-firecracker-6.18");
        var copy = Path.Combine(Path.GetTempPath(), $"vfioctl-test-{Guid.NewGuid():n}.tar.gz");
        try
        {
            Assert.Equal(0, CliRun.Run("--root", tree.Directory, "snapshot", copy).ExitCode);
            var a = CliRun.Run("--root", tree.Directory, "list", "--json").Out;
            var b = CliRun.Run("--root", copy, "list", "--json").Out;
            Assert.Equal(a, b);
            var show1 = CliRun.Run("--root", tree.Directory, "show", "00:03.0", "--json").Out;
            var show2 = CliRun.Run("--root", copy, "show", "00:03.0", "--json").Out;
            Assert.Equal(show1, show2);
        }
        finally { File.Delete(copy); }
    }

    private static string[] Addresses(System.Text.Json.JsonDocument doc) =>
        [.. doc.RootElement.GetProperty("devices").EnumerateArray().Select(d => d.GetProperty("address").GetString()!)];
}
