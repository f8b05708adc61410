using System.Globalization;
using System.Text.Json;
using Vfio.Host.Model;
using Vfio.Host.Reading;
using Vfio.Host.Sysfs;
using Vfio.Policy.Assignment;
using Vfio.Policy.Drivers;
using Vfio.Policy.Vm;

namespace Vfioctl.Output;

/// <summary>A device's BARs in show (text and --json) and the large-BAR line of show and plan.</summary>
internal static class BarText
{
    public static string Describe(PciBar b)
    {
        string kind = b.IsIo ? "I/O ports" : $"{(b.Is64Bit ? "64-bit" : "32-bit")}{(b.Prefetchable ? " prefetchable" : "")} memory";
        string where = b.Unassigned ? "unassigned" : $"at 0x{b.Start:x}";
        string text = $"{b.Name,-9} {MmioWindow.Human(b.Size),9}  {kind} {where}";
        if (b.Slot == BarSlot.VfBar) text += " (per VF)";
        if (!b.ResizableSizes.IsEmpty)
            text += $"; resizable {MmioWindow.Human(b.ResizableSizes[0])}..{MmioWindow.Human(b.ResizableSizes[^1])}, set to {(b.ResizableCurrent is { } c ? MmioWindow.Human(c) : "?")}";
        return text;
    }

    /// <summary>One line when the 64-bit BARs need more than a default q35 VM maps, else null.</summary>
    public static string? LargeBarLine(IReadOnlyCollection<PciDevice> devices)
    {
        ulong packed = MmioWindow.Packed(devices);
        if (packed <= MmioWindow.Q35DefaultHole64) return null;
        return $"64-bit BARs of {MmioWindow.Human(packed)}: more than QEMU q35's default 64-bit MMIO window ({MmioWindow.Human(MmioWindow.Q35DefaultHole64)}) holds; "
            + $"a VM receiving {(devices.Count == 1 ? "it" : "them")} needs a larger window and enough physical address bits: 'vfioctl vm-args {string.Join(' ', devices.Select(d => d.Address))}'.";
    }

    /// <summary>
    /// Per group of <paramref name="plan"/>, the devices that end on a vfio driver (what a VM or a
    /// userspace driver receives) with their BARs read now: the plan's host is read without them.
    /// </summary>
    public static IReadOnlyList<GroupBars> OfPlan(HostView view, AssignmentPlan plan)
    {
        var files = new HostFiles(view.Host.Root);
        var result = new List<GroupBars>();
        foreach (var g in plan.Groups)
        {
            var devices = plan.Steps.Where(s => s.Group == g && DriverKinds.IsVfioDriver(s.FinalDriver))
                .Select(s => (view.Host.FindDevice(s.Address) ?? new PciDevice { Address = s.Address }) with { Bars = BarReader.Read(files, s.Address) })
                .ToList();
            result.Add(new GroupBars(g, devices, devices.Aggregate(0UL, (t, d) => t + MmioWindow.Sum64(d)), devices.Count == 0 ? null : LargeBarLine(devices)));
        }
        return result;
    }

    public static void Write(TextWriter o, HostView view, PciDevice d)
    {
        if (d.Bars.IsEmpty) return;
        o.WriteLine("BARs:");
        foreach (var b in d.Bars) o.WriteLine($"  {Describe(b)}");
        var group = view.Host.GroupOf(d);
        var members = group is null ? [d] : group.Devices.Select(view.Host.FindDevice).OfType<PciDevice>().ToList();
        string sum = $"  64-bit BARs: {MmioWindow.Human(MmioWindow.Sum64(d))}";
        if (group is not null && members.Count > 1) sum += $"; group {group.Id}: {MmioWindow.Human(members.Aggregate(0UL, (s, m) => s + MmioWindow.Sum64(m)))}";
        o.WriteLine(sum);
        if (LargeBarLine(members) is { } large) o.WriteLine($"  note: {large}");
    }

    public static void WriteJson(Utf8JsonWriter w, HostView view, PciDevice d)
    {
        w.WriteStartArray("bars");
        foreach (var b in d.Bars)
        {
            w.WriteStartObject();
            w.WriteString("slot", b.Slot switch { BarSlot.Rom => "rom", BarSlot.VfBar => "vf-bar", _ => "bar" });
            w.WriteNumber("index", b.Index);
            w.WriteNumber("size", b.Size);
            w.WriteString("sizeText", MmioWindow.Human(b.Size));
            w.WriteString("start", b.Unassigned ? null : "0x" + b.Start.ToString("x", CultureInfo.InvariantCulture));
            w.WriteString("type", b.IsIo ? "io" : "memory");
            w.WriteBoolean("is64Bit", b.Is64Bit);
            w.WriteBoolean("prefetchable", b.Prefetchable);
            if (b.ResizableSizes.IsEmpty) w.WriteNull("resizable");
            else
            {
                w.WriteStartObject("resizable");
                w.WritePropertyName("current");
                if (b.ResizableCurrent is { } c) w.WriteNumberValue(c); else w.WriteNullValue();
                w.WriteStartArray("supported");
                foreach (var s in b.ResizableSizes) w.WriteNumberValue(s);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNumber("bar64Total", MmioWindow.Sum64(d));
        var group = view.Host.GroupOf(d);
        var members = group is null ? [d] : group.Devices.Select(view.Host.FindDevice).OfType<PciDevice>().ToList();
        w.WriteNumber("groupBar64Total", members.Aggregate(0UL, (s, m) => s + MmioWindow.Sum64(m)));
        w.StringOrNull("largeBars", LargeBarLine(members));
    }
}

/// <summary>A planned group's devices bound for userspace, their 64-bit BAR sum and the large-BAR line.</summary>
internal sealed record GroupBars(int Group, IReadOnlyList<PciDevice> Devices, ulong Bar64Total, string? LargeBars);
