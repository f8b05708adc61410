using System.Globalization;
using System.Text.Json;
using Vfio;
using Vfio.Host.Model;
using Vfio.Policy.Assignment;

namespace Vfioctl.Output;

/// <summary>BARs the firmware framebuffer keeps reserved (kernel-facts section 10), in show and plan, text and --json.</summary>
internal static class BarConflictText
{
    /// <summary>show's lines: each conflict with its fix, or why none could be looked for on a display device.</summary>
    public static void Write(TextWriter o, HostState host, PciDevice d)
    {
        if (d.BarConflicts.Length > 0)
        {
            o.WriteLine("BAR conflicts:");
            bool cleared = Vfio.Policy.Assignment.AssignmentPlanner.VfioClearsFramebuffer(d);
            foreach (var c in d.BarConflicts)
            {
                o.WriteLine($"  {c.Describe()}");
                o.WriteLine(cleared
                    ? "    vfio-pci removes it when it binds this VGA-class function (and the host loses that console)"
                    : "    vfio-pci cannot reserve this BAR while it is there: a VM or program opening the device fails");
                o.WriteLine($"    fix: {c.Fix}");
            }
        }
        else if (d.Class is { IsDisplay: true } && !host.IoMem.Readable)
            o.WriteLine($"BAR conflicts: not checked: {host.IoMem.Problem}");
        else if (d.Class is { IsDisplay: true } && host.IoMem.AddressesHidden)
            o.WriteLine("BAR conflicts: none found (/proc/iomem was read without root and shows no addresses: only a framebuffer nested in the device's own entries is seen)");
    }

    /// <summary>One conflict as a JSON object (the documented <c>barConflicts</c> item).</summary>
    public static void WriteItem(Utf8JsonWriter w, BarConflict c, PciAddress? address = null, bool? refused = null)
    {
        w.WriteStartObject();
        if (address is { } a) w.WriteString("address", a.ToString());
        if (refused is { } r) w.WriteBoolean("refused", r);
        if (c.BarIndex is { } i) w.WriteNumber("bar", i); else w.WriteNull("bar");
        w.StringOrNull("start", Hex(c.Start));
        w.StringOrNull("end", Hex(c.End));
        w.WriteString("owner", c.Owner);
        w.StringOrNull("ownerStart", Hex(c.OwnerStart));
        w.StringOrNull("ownerEnd", Hex(c.OwnerEnd));
        w.Strings("claimedBy", c.ClaimedBy);
        w.WriteBoolean("addressesHidden", c.AddressesHidden);
        w.WriteString("description", c.Describe());
        w.WriteString("fix", c.Fix);
        w.WriteEndObject();
    }

    /// <summary>show's <c>barConflicts</c> array and <c>iomem</c> object.</summary>
    public static void WriteJson(Utf8JsonWriter w, HostState host, PciDevice d)
    {
        w.WriteStartArray("barConflicts");
        foreach (var c in d.BarConflicts) WriteItem(w, c);
        w.WriteEndArray();
        WriteIoMem(w, host.IoMem);
    }

    /// <summary>plan's <c>barConflicts</c> array: every conflict of a member going to a vfio driver, with its address.</summary>
    public static void WriteJson(Utf8JsonWriter w, AssignmentPlan plan)
    {
        w.WriteStartArray("barConflicts");
        foreach (var c in plan.BarConflicts) WriteItem(w, c.Conflict, c.Address, c.Refused);
        w.WriteEndArray();
    }

    private static void WriteIoMem(Utf8JsonWriter w, IoMemMap map)
    {
        w.WriteStartObject("iomem");
        w.WriteBoolean("readable", map.Readable);
        w.WriteBoolean("addressesHidden", map.AddressesHidden);
        w.StringOrNull("problem", map.Problem);
        w.WriteEndObject();
    }

    private static string? Hex(ulong? v) => v is { } x ? "0x" + x.ToString("x", CultureInfo.InvariantCulture) : null;
}
