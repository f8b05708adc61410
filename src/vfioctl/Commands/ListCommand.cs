using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Vfio.Host.Model;
using Vfioctl.Output;

namespace Vfioctl.Commands;

/// <summary><c>vfioctl list</c>: one line per PCI function with its group and verdict.</summary>
internal static class ListCommand
{
    private static readonly Option<string?> Class = new("--class")
    {
        Description = "Only devices whose class starts with these hex digits (02 network, 0108 NVMe, 0300 VGA)",
    };
    private static readonly Option<string?> Driver = new("--driver")
    {
        Description = "Only devices bound to this driver ('none' for unbound ones)",
    };
    private static readonly Option<int?> Group = new("--group") { Description = "Only members of this IOMMU group" };
    private static readonly Option<string?> Id = new("--id")
    {
        Description = "Only this vendor:device (hex; either side may be empty or *, e.g. 8086: or :10d3)",
    };

    public static Command Create()
    {
        var cmd = new Command("list", "List PCI devices with their driver, IOMMU group and whether the group can go to userspace");
        cmd.Options.Add(Class);
        cmd.Options.Add(Driver);
        cmd.Options.Add(Group);
        cmd.Options.Add(Id);
        // The list needs membership only: group type and reserved regions are not read.
        cmd.SetAction(parse => CommandActions.WithHost(parse, (term, view, json) => Run(parse, term, view, json),
            new Vfio.Host.Reading.HostReadOptions { GroupDetails = false }));
        return cmd;
    }

    private static int Run(ParseResult parse, Terminal term, HostView view, bool json)
    {
        var filter = DeviceFilter.From(parse.GetValue(Class), parse.GetValue(Driver), parse.GetValue(Group), parse.GetValue(Id));
        var devices = view.Host.Devices.Where(filter.Matches).ToList();

        if (json)
        {
            Json.Write(term.Out, w =>
            {
                w.WriteStartObject();
                DeviceJson.WriteIommu(w, view);
                w.WriteStartArray("devices");
                foreach (var d in devices) DeviceJson.WriteListEntry(w, view, d);
                w.WriteEndArray();
                w.Strings("warnings", view.Host.Warnings.Concat(devices.SelectMany(d => d.Warnings)));
                w.WriteEndObject();
            });
            return ExitCodes.Success;
        }

        foreach (var d in devices)
            foreach (var warning in d.Warnings) term.Warn(warning);
        if (!view.Host.IommuEnabled && view.Diagnosis is { } diag)
        {
            // The first line, and in a virtual machine the line that says where the IOMMU must come from.
            var lines = diag.Split('\n').Select(l => l.Trim()).ToList();
            var vm = lines.FirstOrDefault(l => l.StartsWith("This is a virtual machine", StringComparison.Ordinal));
            term.Error.WriteLine(lines[0] + (vm is null ? "" : " " + vm) + " (run 'vfioctl groups' for what to do)");
        }

        var table = new Table().Border(term.IsTty ? TableBorder.Simple : TableBorder.None);
        foreach (var h in new[] { "ADDRESS", "CLASS", "DEVICE", "DRIVER", "GROUP", "VERDICT" })
            table.AddColumn(new TableColumn(h) { NoWrap = true });
        foreach (var d in devices)
        {
            table.AddRow(
                Markup.Escape(d.Address.ToString()),
                Markup.Escape(view.DescribeClass(d)),
                Markup.Escape(view.Describe(d)),
                Markup.Escape(d.Driver ?? "-"),
                d.IommuGroup?.ToString(CultureInfo.InvariantCulture) ?? "-",
                Styles.Verdict(view.VerdictText(d)));
        }
        term.Console.Write(table);
        if (devices.Count == 0) term.Error.WriteLine("No PCI device matches.");
        return ExitCodes.Success;
    }
}

/// <summary>The filters of <c>vfioctl list</c>, validated.</summary>
internal sealed record DeviceFilter(string? ClassPrefix, string? Driver, int? Group, string? Vendor, string? Device)
{
    public static DeviceFilter From(string? cls, string? driver, int? group, string? id)
    {
        string? classPrefix = null;
        if (cls is not null)
        {
            var c = cls.Trim().ToLowerInvariant();
            if (c.StartsWith("0x", StringComparison.Ordinal)) c = c[2..];
            if (c.Length is 0 or > 6 || !c.All(char.IsAsciiHexDigit))
                throw new UsageException($"--class {cls}: expected 1 to 6 hex digits of class code (02, 0200, 010802).");
            classPrefix = c;
        }
        string? vendor = null, device = null;
        if (id is not null)
        {
            var parts = id.Trim().ToLowerInvariant().Split(':');
            if (parts.Length != 2 || !ValidIdPart(parts[0]) || !ValidIdPart(parts[1]))
                throw new UsageException($"--id {id}: expected VVVV:DDDD in hex, either side may be empty or * (8086:10d3, 8086:, :10d3).");
            vendor = parts[0] is "" or "*" ? null : parts[0].PadLeft(4, '0');
            device = parts[1] is "" or "*" ? null : parts[1].PadLeft(4, '0');
        }
        return new DeviceFilter(classPrefix, driver, group, vendor, device);
    }

    private static bool ValidIdPart(string s) => s is "" or "*" || (s.Length <= 4 && s.All(char.IsAsciiHexDigit));

    public bool Matches(PciDevice d)
    {
        if (ClassPrefix is not null && (d.Class is not { } c || !c.ToString().StartsWith(ClassPrefix, StringComparison.Ordinal))) return false;
        if (Driver is not null && !(Driver == "none" ? d.Driver is null : d.Driver == Driver)) return false;
        if (Group is not null && d.IommuGroup != Group) return false;
        if (Vendor is not null && Json.Hex4(d.VendorId) != Vendor) return false;
        if (Device is not null && Json.Hex4(d.DeviceId) != Device) return false;
        return true;
    }
}
