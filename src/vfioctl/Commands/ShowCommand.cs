using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Vfio;
using Vfio.Host.Model;
using Vfio.Policy.Viability;
using Vfioctl.Output;

namespace Vfioctl.Commands;

/// <summary><c>vfioctl show ADDRESS</c>: everything known about one device and its group.</summary>
internal static class ShowCommand
{
    private static readonly Argument<string> Address = new("address") { Description = "PCI address: DDDD:BB:DD.F or BB:DD.F" };

    public static Command Create()
    {
        var cmd = new Command("show", "Show one device: ids, driver, IOMMU group and siblings, SR-IOV, reset methods, host use");
        cmd.Arguments.Add(Address);
        cmd.SetAction(parse =>
        {
            var term = CommandActions.TerminalFor(parse);
            var text = parse.GetValue(Address)!;
            if (!PciAddress.TryParse(text, out var address))
            {
                term.Error.WriteLine($"vfioctl: '{text}' is not a PCI address; expected {PciAddress.ExpectedForm}.");
                return ExitCodes.Usage;
            }
            return CommandActions.WithHost(parse, (t, view, json) => Run(t, view, json, address));
        });
        return cmd;
    }

    private static int Run(Terminal term, HostView view, bool json, PciAddress address)
    {
        var d = view.RequireDevice(address);
        var group = view.Host.GroupOf(d);
        var verdict = view.VerdictOf(d);
        if (json)
        {
            Json.Write(term.Out, w => WriteJson(w, view, d));
            return ExitCodes.Success;
        }

        var o = term.Out;
        void Line(string key, string? value) => o.WriteLine($"{key,-18} {value ?? "-"}");
        o.WriteLine($"{d.Address} {view.DescribeClass(d)}: {view.Describe(d)}");
        Line("vendor", d.VendorId is { } v ? $"{v:x4} {view.VendorName(d)}" : null);
        Line("device", d.DeviceId is { } id ? $"{id:x4} {view.DeviceName(d)}" : null);
        Line("subsystem", d.SubsystemVendorId is { } sv && d.SubsystemDeviceId is { } sd ? $"{sv:x4}:{sd:x4}" : null);
        Line("class", d.Class is { } c ? $"{c} {view.ClassName(d)}" : null);
        Line("revision", d.Revision is { } r ? $"{r:x2}" : null);
        Line("modalias", d.Modalias);
        Line("driver", d.Driver ?? "none");
        Line("driver_override", d.DriverOverride ?? "none");
        if (d.VfioDevice is { } vfio)
            Line("vfio device", view.Host.CdevOf(d) is { } cdev
                ? $"{vfio}: {cdev}" + (view.Host.Iommufd ? " (opens through iommufd, /dev/iommu)" : " (no /dev/iommu: iommufd is not loaded)")
                : $"{vfio}: no cdev (the kernel has no VFIO_DEVICE_CDEV: only the group node opens it)");
        Line("numa node", d.NumaNode?.ToString(CultureInfo.InvariantCulture));
        Line("upstream", d.Parent?.ToString() ?? "root bus");
        if (d.BootVga) Line("boot VGA", "yes: binding it to vfio-pci takes the host console");
        Line("reset methods", d.ResetMethods.Length > 0 ? string.Join(", ", d.ResetMethods) : "none (the kernel cannot reset this function alone)");

        if (group is null) Line("iommu group", view.Host.IommuEnabled ? "none" : "none (no IOMMU: run 'vfioctl groups')");
        else
        {
            Line("iommu group", $"{group.Id}" + (group.Type is { } t ? $" ({t})" : "") + (group.VfioNode is { } n ? $", {n}" : ""));
            Line("verdict", verdict is null ? null : HostView.StatusText(verdict.Status));
            foreach (var reason in verdict?.Reasons ?? []) o.WriteLine($"{"",-18}   blocked: {reason}");
            foreach (var note in verdict?.Notes ?? []) o.WriteLine($"{"",-18}   note: {note}");
            if (verdict is { IsolationReasons.Length: > 0 })
            {
                Line("isolation", verdict.Isolation == Isolation.NotReal ? "NOT REAL: a member DMAs around the IOMMU" : "unknown: a member may DMA around the IOMMU");
                foreach (var i in verdict.IsolationReasons) o.WriteLine($"{"",-18}   {i}");
            }
            o.WriteLine("group members:");
            foreach (var a in group.Devices)
            {
                var m = view.Host.FindDevice(a);
                o.WriteLine($"  {(a == d.Address ? "*" : " ")} {a} {(m is null ? "?" : view.Describe(m))} ({m?.Driver ?? "no driver"})");
            }
        }

        if (d.Sriov is { } s)
        {
            o.WriteLine("SR-IOV physical function:");
            Line("  total VFs", s.TotalVfs?.ToString(CultureInfo.InvariantCulture));
            Line("  current VFs", s.NumVfs?.ToString(CultureInfo.InvariantCulture));
            Line("  VF device id", s.VfDeviceId is { } vf ? $"{vf:x4}" : null);
            Line("  offset/stride", $"{s.Offset}/{s.Stride}");
            Line("  autoprobe", s.DriversAutoprobe is { } ap ? (ap ? "on" : "off") : null);
            foreach (var vf1 in s.VirtualFunctions)
            {
                var m = view.Host.FindDevice(vf1);
                o.WriteLine($"    {vf1} driver {m?.Driver ?? "none"}, group {m?.IommuGroup?.ToString(CultureInfo.InvariantCulture) ?? "-"}");
            }
        }
        if (d.PhysFn is { } pf) Line("SR-IOV VF of", pf.ToString());
        BarText.Write(o, view, d);
        BarConflictText.Write(o, view.Host, d);

        if (d.Holders.Length > 0)
        {
            o.WriteLine("host use:");
            foreach (var h in d.Holders) o.WriteLine($"  {(h.InUse ? "IN USE" : "idle  ")} {h.Describe()}");
        }
        foreach (var w in d.Warnings) term.Warn(w);
        return ExitCodes.Success;
    }

    private static void WriteJson(Utf8JsonWriter w, HostView view, PciDevice d)
    {
        var group = view.Host.GroupOf(d);
        var verdict = view.VerdictOf(d);
        w.WriteStartObject();
        DeviceJson.WriteIds(w, d);
        w.StringOrNull("revision", d.Revision?.ToString("x2", CultureInfo.InvariantCulture));
        w.StringOrNull("vendorName", view.VendorName(d));
        w.StringOrNull("deviceName", view.DeviceName(d));
        w.StringOrNull("className", view.ClassName(d));
        w.StringOrNull("modalias", d.Modalias);
        w.StringOrNull("driver", d.Driver);
        w.StringOrNull("driverOverride", d.DriverOverride);
        w.StringOrNull("vfioDevice", d.VfioDevice);
        w.StringOrNull("vfioCdev", view.Host.CdevOf(d));
        w.NumberOrNull("numaNode", d.NumaNode);
        w.WriteBoolean("bootVga", d.BootVga);
        w.WriteBoolean("bridge", d.IsBridge);
        w.StringOrNull("upstream", d.Parent?.ToString());
        w.Strings("resetMethods", d.ResetMethods);
        w.NumberOrNull("iommuGroup", d.IommuGroup);
        if (group is not null && verdict is not null)
        {
            w.WritePropertyName("group");
            DeviceJson.WriteGroup(w, view, group, verdict);
        }
        else w.WriteNull("group");
        if (d.Sriov is { } s)
        {
            w.WriteStartObject("sriov");
            w.NumberOrNull("totalVfs", s.TotalVfs);
            w.NumberOrNull("numVfs", s.NumVfs);
            w.NumberOrNull("offset", s.Offset);
            w.NumberOrNull("stride", s.Stride);
            w.StringOrNull("vfDeviceId", Json.Hex4(s.VfDeviceId));
            if (s.DriversAutoprobe is { } ap) w.WriteBoolean("driversAutoprobe", ap); else w.WriteNull("driversAutoprobe");
            w.Strings("vfs", s.VirtualFunctions.Select(a => a.ToString()));
            w.WriteEndObject();
        }
        else w.WriteNull("sriov");
        w.StringOrNull("physfn", d.PhysFn?.ToString());
        BarText.WriteJson(w, view, d);
        BarConflictText.WriteJson(w, view.Host, d);
        w.WriteStartArray("holders");
        foreach (var h in d.Holders)
        {
            w.WriteStartObject();
            w.WriteString("kind", h switch { BlockHolder => "block", NetHolder => "net", GpuNodeHolder => "gpu-node", _ => "drm" });
            w.WriteString("name", h.Name);
            w.WriteBoolean("inUse", h.InUse);
            w.WriteString("description", h.Describe());
            w.Processes("processes", h switch { DrmHolder drm => drm.Processes, GpuNodeHolder node => node.Processes, _ => [] });
            w.StringOrNull("console", (h as DrmHolder)?.Console);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.Strings("warnings", d.Warnings);
        w.WriteEndObject();
    }
}
